// Scanned or typed codes: a label's URL (/p/, /promo/, a coupon's /c/, a GS1 Digital Link /01/<GTIN>), a
// store's entrance QR (/s/) or a bare barcode, a PLU typed for loose produce or a shelf code, which
// the server resolves (/api/scan); and the form for typing one.
import { api, ApiError } from "./api.js";
import { changeVoucher } from "./cart.js";
import { CONFIG } from "./config.js";
import { navigate, productPath } from "./router.js";
import { changeStore, currentStoreCode } from "./store.js";
import { html } from "./ui.js";
import { _ } from "./i18n.js";

const KNOWN_ORIGINS = new Set([location.origin, new URL(CONFIG.publicBaseUrl, location.href).origin]);
/** The shop's own absolute URLs as paths, so they work under whatever host name the phone used. */
export const localUrl = (href) => {
  if (!href) return href;
  const url = new URL(href, location.href);
  return KNOWN_ORIGINS.has(url.origin) ? url.pathname + url.search : href;
};
/** Where a scanned or typed code leads; bare codes are resolved by the server (/api/scan). */
export async function openCode(text, { t0 } = {}) {
  const code = text.trim();
  let path = null;
  let store = null; // a store's label names its store (?store=): the app moves there first
  if (/^https?:\/\//i.test(code) || code.startsWith("/")) {
    const url = new URL(code, location.origin);
    if (!KNOWN_ORIGINS.has(url.origin)) throw new ApiError(400, { message: _("This code is not one of our shop's labels.") });
    path = url.pathname;
    store = url.searchParams.get("store");
  }
  let m;
  if (path && (m = path.match(/^\/s\/([-\w]+)\/?$/))) { // a store's entrance QR
    await navigate("/", { t0 }); // the camera stops; the banner asks if the cart must go
    return changeStore(m[1]);
  }
  if (store && store !== currentStoreCode()) await changeStore(store, { reroute: false });
  if (path && (m = path.match(/^\/p\/([^/]+)\/?$/))) return navigate(`/p/${m[1]}`, { t0 }); // already URL-encoded
  if (path && (m = path.match(/^\/promo\/([^/]+)\/?$/))) return navigate(`/promo/${m[1]}`, { t0 });
  if (path && (m = path.match(/^\/c\/([^/]+)\/?$/))) return navigate(`/c/${m[1]}`, { t0 }); // a coupon
  if (path && (m = path.match(/^\/01\/(\d+)/))) return openBarcode(m[1], t0);
  if (path) throw new ApiError(400, { message: _("This code is not one of our shop's labels.") });
  if (!code) throw new ApiError(400, { message: _("Type the code printed under the barcode.") });
  return openBarcode(code, t0);
}
/** Is this a deposit-return voucher of this shop's machine (its in-store prefix digits)? */
export const isVoucher = (code) => code.length === 13 && /^\d+$/.test(code)
  && [...CONFIG.voucherLayout].map((c, i) => (c === "P" ? code[i] : "")).join("") === CONFIG.voucherPrefix;
async function openBarcode(code, t0) {
  if (isVoucher(code)) {
    await changeVoucher(code);
    return navigate("/cart", { t0 });
  }
  const found = await api(`/api/scan/${encodeURIComponent(code)}`);
  return navigate(productPath(found.product.product_id),
    { t0, product: found.product, weight: found.weight });
}

export function manualForm(id = "manual") {
  return html`<form class="manual card" id="${id}" novalidate>
    <label for="${id}-code">${_("Type the code under the barcode, the shelf code, or the PLU of loose produce")}</label>
    <div class="row">
      <input id="${id}-code" name="code" inputmode="numeric" autocomplete="off" enterkeyhint="go"
        placeholder="${_("e.g. 4006381333931")}" required>
      <button class="button" type="submit">${_("Find")}</button>
    </div>
    <p class="field-error" id="${id}-error" role="alert"></p>
  </form>`;
}
export function wireManualForm(view, id = "manual") {
  const form = view.querySelector(`#${id}`);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errorBox = form.querySelector(`#${id}-error`);
    errorBox.textContent = "";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await openCode(form.code.value);
    } catch (err) {
      errorBox.textContent = err.status === 404 ? _("No product with the code “%(code)s”.", { code: form.code.value.trim() }) : err.message;
      form.code.focus();
    } finally {
      button.disabled = false;
    }
  });
}
