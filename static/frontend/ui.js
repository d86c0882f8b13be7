// HTML built from template literals (escaped by default) and the toast.

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESC[c]);
export const raw = (s) => ({ __raw: s });
/** Template literal that escapes every interpolated value unless it is raw() or an array of raw. */
export function html(strings, ...values) {
  return strings.reduce((out, s, i) => {
    const v = values[i - 1];
    const text = Array.isArray(v) ? v.map((x) => (x && x.__raw !== undefined ? x.__raw : esc(x))).join("")
      : v && v.__raw !== undefined ? v.__raw : esc(v);
    return out + text + s;
  });
}

let toastTimer;
export function toast(message, { error = false } = {}) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.toggle("error", error);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}
