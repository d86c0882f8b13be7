// The staff screen at the exit (/staff): the camera reads a customer's exit QR and the server's
// one exit check (POST /api/exit/verify) answers go, audit, ID check or stop, shown in large type
// and colour with the basket. An audit rescans the basket (camera or tick) and records what is
// missing or extra; an ID check is confirmed or refused here. Staff sign in through the admin.
import { api, ApiError } from "../api.js";
import { cameraWhenShown } from "../camera.js";
import { fmtMoney, fmtQty } from "../format.js";
import { html, raw, toast } from "../ui.js";

const WORDS = { go: "GO", audit: "AUDIT", id_check: "ID CHECK", stop: "STOP" };
const HINTS = {
  go: "Paid. Let the customer through.",
  audit: "Rescan this basket before the customer leaves.",
  id_check: "Ask for an ID before the customer leaves.",
  stop: "Do not let these goods out.",
};

// An exit code is "<store>.<transaction>:<signature>" (checkout.selectors.exit_code); product
// barcodes are digits and labels are URLs.
const looksLikeExitCode = (text) => /^[^\s/:]+\.[^\s/:]+:[\w-]+$/.test(text);

export async function staffScreen(view) {
  view.innerHTML = html`<h1 class="h1">Exit check</h1>
    <p class="small"><a href="/admin/login/?next=/staff">Staff sign-in</a></p>
    <div class="scanner staff-scanner" id="scanner">
      <video id="camera" muted playsinline aria-label="Camera view"></video>
      <div class="aim" aria-hidden="true"></div>
      <p class="scan-status" id="scan-status" role="status">Starting the camera…</p>
      <button class="button torch" id="torch" type="button" aria-pressed="false" hidden>Torch</button>
    </div>
    <form class="manual card" id="exit-form" novalidate>
      <label for="exit-code">Or type the exit code from the receipt</label>
      <div class="row"><input id="exit-code" name="code" autocomplete="off" enterkeyhint="go" required>
        <button class="button" type="submit">Check</button></div>
    </form>
    <section id="answer" aria-live="assertive"></section>`;
  const state = { code: null, answer: null, ticked: new Set(), missing: new Map() };
  const answerBox = view.querySelector("#answer");
  const status = view.querySelector("#scan-status");

  // One check at a time, in order: a typed code waits for a scan in flight instead of being lost.
  // A code the camera keeps seeing while its check is under way is the same scan, not a second.
  let queue = Promise.resolve();
  let pending = null;
  function check(code, t0 = performance.now()) {
    if (code === pending) return queue;
    pending = code;
    queue = queue.then(() => verify(code, t0)).finally(() => { if (pending === code) pending = null; });
    return queue;
  }
  async function verify(code, t0) {
    try {
      const answer = await api("/api/exit/verify", { method: "POST", body: { code } });
      Object.assign(state, { code, answer, ticked: new Set(), missing: new Map() });
      show();
      // Scan to decision on screen, for the browser tests and bench/pwa figures.
      requestAnimationFrame(() => { window.staffDecisionMs = performance.now() - t0; });
    } catch (err) {
      showProblem(err);
    }
  }

  function showProblem(err) {
    const signIn = err instanceof ApiError && (err.status === 401 || err.status === 403);
    answerBox.innerHTML = html`<div class="decision stop" role="alert"><p class="decision-word">${signIn ? "SIGN IN" : "ERROR"}</p>
      <p class="decision-reason">${signIn ? "Only signed-in staff can check exit codes." : err.message}</p>
      ${raw(signIn ? html`<p><a class="button big" href="/admin/login/?next=/staff">Sign in as staff</a></p>` : "")}</div>`;
  }

  function show() {
    const a = state.answer;
    const lines = a.lines || [];
    answerBox.innerHTML = html`<div class="decision ${a.decision}" id="decision" data-decision="${a.decision}">
        <p class="decision-word">${WORDS[a.decision]}</p>
        <p class="decision-reason">${a.reason}</p>
        <p class="decision-hint">${HINTS[a.decision]}</p>
      </div>
      ${raw(lines.length ? html`<div class="card"><h2>Basket${a.transaction_id ? ` ${a.transaction_id}` : ""}</h2>
        <ul class="list exit-lines">${lines.map((l, i) => raw(lineItem(l, i, a.decision === "audit")))}</ul>
        <p class="exit-total"><span>Total</span> <b>${fmtMoney(a.total)}</b></p></div>` : "")}
      ${raw(a.decision === "audit" ? auditPanel() : "")}
      ${raw(a.decision === "id_check" ? html`<div class="card id-panel"><h2>ID check: ${a.min_age}+</h2>
        <p>Look at an ID. The customer must be ${a.min_age} or older.</p>
        <div class="row"><button type="button" class="button big" id="id-ok">Old enough</button>
        <button type="button" class="button big danger" id="id-refuse">Refuse: keep the items</button></div></div>` : "")}
      <p><button type="button" class="button big secondary" id="next">Next customer</button></p>`;
    answerBox.querySelector("#next").addEventListener("click", reset);
    answerBox.querySelector("#id-ok")?.addEventListener("click", () => answerId(true));
    answerBox.querySelector("#id-refuse")?.addEventListener("click", () => answerId(false));
    for (const box of answerBox.querySelectorAll(".exit-lines input[type=checkbox]")) {
      box.addEventListener("change", () => {
        const id = box.dataset.product;
        if (box.checked) state.ticked.add(id); else state.ticked.delete(id);
      });
    }
    answerBox.querySelector("#audit-charge")?.addEventListener("click", () => sendAudit("charge"));
    answerBox.querySelector("#audit-write-off")?.addEventListener("click", () => sendAudit("write_off"));
    answerBox.querySelector("#missing-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = event.target.querySelector("input");
      if (input.value.trim()) addMissing(input.value.trim());
      input.value = "";
    });
    answerBox.querySelector("#decision").scrollIntoView?.({ block: "start" });
  }

  function lineItem(l, i, auditing) {
    const age = l.min_age ? html` <span class="age-tag">${l.min_age}+</span>` : "";
    const label = html`${fmtQty(l.quantity, l.unit)} ${l.name}${raw(age)}`;
    if (!auditing) return html`<li class="exit-line"><span>${raw(label)}</span><b>${fmtMoney(l.total)}</b></li>`;
    return html`<li class="exit-line"><input type="checkbox" id="line-${i}" data-product="${l.product_id}"
      ${state.ticked.has(l.product_id) ? "checked" : ""}>
      <label for="line-${i}">${raw(label)}</label><b>${fmtMoney(l.total)}</b></li>`;
  }

  function auditPanel() {
    const missing = [...state.missing.values()];
    return html`<div class="card audit-panel"><h2>Audit</h2>
      <p>Scan each item in the basket, or tick it. Items in the basket that are not on the receipt are missing.</p>
      <form class="row" id="missing-form" novalidate><label class="sr-only" for="missing-code">Missing item: product code</label>
        <input id="missing-code" autocomplete="off" placeholder="Missing item: product code">
        <button class="button secondary" type="submit">Add missing</button></form>
      <ul class="list missing-lines" aria-label="Missing items">${missing.map((m) => raw(html`<li>${m.quantity} × ${m.product_id}</li>`))}</ul>
      <div class="row">
        <button type="button" class="button big" id="audit-charge">${missing.length ? "Charge missing items" : "Audit done"}</button>
        ${raw(missing.length ? '<button type="button" class="button big secondary" id="audit-write-off">Write off</button>' : "")}
      </div></div>`;
  }

  function addMissing(productId) {
    const line = state.missing.get(productId) || { product_id: productId, quantity: 0 };
    line.quantity += 1;
    state.missing.set(productId, line);
    show();
  }

  function rescanned(text) {
    // A label's URL (/p/<id>) or a bare barcode: tick the basket line it matches, else it is missing.
    const fromUrl = text.match(/\/p\/([^/?#]+)/);
    const id = fromUrl ? decodeURIComponent(fromUrl[1]) : text;
    const digits = id.replace(/^0+/, "");
    const line = state.answer.lines.find((l) => l.product_id === id || (l.gtin && l.gtin.replace(/^0+/, "") === digits));
    if (line) {
      state.ticked.add(line.product_id);
      toast(`Ticked ${line.name}`);
      show();
    } else {
      addMissing(id);
      toast(`Not on the receipt: ${id}`, { error: true });
    }
  }

  async function sendAudit(action) {
    const a = state.answer;
    const extra = a.lines.filter((l) => !state.ticked.has(l.product_id))
      .map((l) => ({ product_id: l.product_id, quantity: l.quantity }));
    try {
      const answer = await api("/api/exit/audit", {
        method: "POST",
        body: { code: state.code, missing: [...state.missing.values()], extra, missing_action: action },
      });
      Object.assign(state, { answer });
      show();
    } catch (err) {
      toast(err.message, { error: true });
    }
  }

  async function answerId(approved) {
    try {
      state.answer = await api("/api/exit/id-check", { method: "POST", body: { code: state.code, approved } });
      show();
    } catch (err) {
      toast(err.message, { error: true });
    }
  }

  function reset() {
    Object.assign(state, { code: null, answer: null, ticked: new Set(), missing: new Map() });
    answerBox.innerHTML = "";
    view.querySelector("#exit-code").focus();
  }

  view.querySelector("#exit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = event.target.code.value.trim();
    if (code) check(code);
  });

  return cameraWhenShown(view, {
    onCode: async (text, t0) => {
      if (state.answer?.decision === "audit") rescanned(text);
      // A product's barcode or label outside an audit is not a receipt: nothing to check.
      else if (!looksLikeExitCode(text)) status.textContent = "That is not an exit code.";
      // The same code held in front of the camera is one scan, not a reuse.
      else if (text !== state.code) await check(text, t0);
      return false; // the camera keeps reading: the next customer is already waiting
    },
    problem: () => "The camera is not available here: type the exit code below.",
  });
}
