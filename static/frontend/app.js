// Scan & Go: the customer app. One module, no framework: a router, a cart that lives on the device
// and syncs with the server, and one render function per screen. The camera decoder loads only
// when the scanner opens (scanner.js).

const CONFIG = JSON.parse(document.getElementById("app-config").textContent);
const main = document.getElementById("main");
const WEIGHED = new Set(["kg", "100g"]);
const PLACEHOLDER = CONFIG.placeholderImage;

// ---------------------------------------------------------------------------------------------
// Small helpers

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESC[c]);
const raw = (s) => ({ __raw: s });
/** Template literal that escapes every interpolated value unless it is raw() or an array of raw. */
function html(strings, ...values) {
  return strings.reduce((out, s, i) => {
    const v = values[i - 1];
    const text = Array.isArray(v) ? v.map((x) => (x && x.__raw !== undefined ? x.__raw : esc(x))).join("")
      : v && v.__raw !== undefined ? v.__raw : esc(v);
    return out + text + s;
  });
}
const money = new Intl.NumberFormat("en-GB", { style: "currency", currency: CONFIG.currency });
const fmtMoney = (n) => money.format(Number(n) || 0);
const UNIT_LABEL = { each: "each", kg: "per kg", "100g": "per 100 g" };
function fmtQty(q, unit) {
  return WEIGHED.has(unit) ? `${Number(q).toFixed(3)} kg` : `${q} ×`;
}
// The server's line price (catalog.models Product.price_for): the price of one item, or of one kg
// for weighed goods (the API's price_per_kg, whatever the price unit), × the quantity, rounded half
// up to the cent. Whole cents × whole grams is exact in a double, so this matches the till.
const quantityPrice = (item) => item.price_per_kg ?? item.unit_price ?? item.price;
export const lineEstimate = (item, q) =>
  Math.floor((Math.round(quantityPrice(item) * 100) * Math.round(q * 1000) + 500) / 1000) / 100;

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
const load = (key, fallback) => { try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; } };
const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));

let toastTimer;
export function toast(message, { error = false } = {}) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.toggle("error", error);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// ---------------------------------------------------------------------------------------------
// API client

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}.`);
    this.status = status; this.code = body?.code || "error"; this.detail = body?.detail || {}; this.body = body;
  }
}
export class OfflineError extends Error {
  constructor() { super("You are offline. Check your connection and try again."); }
}
function csrfToken() {
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.slice(10) || "";
}
export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (cart.token) init.headers["X-Cart-Token"] = cart.token;
  if (method !== "GET") {
    init.headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  }
  let response;
  try { response = await fetch(path, init); } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new OfflineError();
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// ---------------------------------------------------------------------------------------------
// The cart: the device's copy is what the customer wants; the server's copy prices it (discounts).
// Every change is saved locally first and pushed when the network allows, so the cart survives
// reloads and dead spots in the shop.

const CART_KEY = "scango.cart.v1";
export const cart = Object.assign({ token: null, lines: {}, server: null, dirty: false }, load(CART_KEY, {}));
const cartListeners = new Set();
function cartChanged() {
  save(CART_KEY, { token: cart.token, lines: cart.lines, server: cart.server, dirty: cart.dirty });
  const count = Object.values(cart.lines).reduce((n, l) => n + (WEIGHED.has(l.unit) ? 1 : Number(l.quantity)), 0);
  const badge = document.getElementById("cart-badge");
  badge.hidden = count === 0;
  badge.textContent = String(count);
  badge.setAttribute("aria-label", `${count} in cart`);
  cartListeners.forEach((fn) => fn());
}
function adoptServerCart(data) {
  cart.token = data.token || cart.token;
  cart.server = data;
  cart.lines = {};
  for (const l of data.lines) {
    cart.lines[l.product_id] = { product_id: l.product_id, name: l.name, unit: l.unit, quantity: l.quantity,
      unit_price: l.unit_price, price_per_kg: l.price_per_kg, image_url: l.image_url };
  }
}
export function setLine(product, quantity) {
  if (quantity <= 0) delete cart.lines[product.product_id];
  else cart.lines[product.product_id] = { product_id: product.product_id, name: product.name, unit: product.unit,
    quantity, unit_price: product.price ?? product.unit_price, price_per_kg: product.price_per_kg,
    image_url: product.image_url };
  cart.dirty = true;
  localChanges += 1;
  cartChanged();
  return syncCart();
}
export function addToCart(product, quantity) {
  const current = Number(cart.lines[product.product_id]?.quantity || 0);
  const next = WEIGHED.has(product.unit) ? Math.round((current + quantity) * 1000) / 1000 : current + quantity;
  return setLine(product, next);
}
export function cartInSync() { return !cart.dirty && cart.server !== null; }

let syncing = null;
let localChanges = 0; // bumped by every change on the phone, so a sync never overwrites a newer one
/** Make the server's cart match the device's (idempotent: quantities are set, never added). */
export function syncCart() {
  if (syncing) return syncing.then(() => (cart.dirty ? syncCart() : undefined));
  const run = (async () => {
    try {
      if (!navigator.onLine) return;
      const seen = localChanges;
      if (!cart.dirty) {
        const server = await api("/api/cart");
        if (seen === localChanges) adoptServerCart(server);
        return;
      }
      let server = await api("/api/cart");
      cart.token = server.token;
      const wanted = { ...cart.lines };
      for (const line of server.lines) {
        if (!wanted[line.product_id]) server = await api(`/api/cart/lines/${encodeURIComponent(line.product_id)}`, { method: "DELETE" });
      }
      const have = Object.fromEntries(server.lines.map((l) => [l.product_id, Number(l.quantity)]));
      for (const line of Object.values(wanted)) {
        if (have[line.product_id] === Number(line.quantity)) continue;
        try {
          server = await api(`/api/cart/lines/${encodeURIComponent(line.product_id)}`,
            { method: "PUT", body: { quantity: Number(line.quantity) } });
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          toast(`${line.name}: ${err.message}`, { error: true }); // e.g. not enough stock: keep the server's
        }
      }
      if (seen === localChanges) { // else the next round pushes the newer change
        cart.dirty = false;
        adoptServerCart(server);
      } else {
        cart.token = server.token;
      }
    } catch (err) {
      // A failed background read is retried on the next change or when back online.
      if (cart.dirty && !(err instanceof OfflineError)) toast(err.message, { error: true });
    } finally {
      cartChanged();
    }
  })();
  // Cleared only after the run settles (an offline run finishes synchronously, before this line).
  syncing = run.finally(() => { syncing = null; });
  return syncing;
}
window.addEventListener("online", () => { showNetwork(); syncCart(); });
window.addEventListener("offline", showNetwork);
function showNetwork() {
  document.getElementById("net-status").hidden = navigator.onLine;
  document.body.classList.toggle("offline", !navigator.onLine);
  if (currentRoute) cartListeners.forEach((fn) => fn());
}

// ---------------------------------------------------------------------------------------------
// Router

const routes = [
  [/^\/$/, "home", homeScreen],
  [/^\/scan\/?$/, "scan", scanScreen],
  [/^\/p\/([^/]+)\/?$/, "scan", productScreen],
  [/^\/promotions\/?$/, "promotions", promotionsScreen],
  [/^\/promo\/([^/]+)\/?$/, "promotions", promotionScreen],
  [/^\/cart\/?$/, "cart", cartScreen],
  [/^\/checkout\/?$/, "cart", checkoutScreen],
  [/^\/receipts\/?$/, "receipts", receiptsScreen],
  [/^\/receipts\/([^/]+)\/?$/, "receipts", receiptScreen],
];
let currentRoute = null;
let leaveScreen = null;

export function navigate(path, state = {}, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](state, "", path);
  return route();
}
async function route() {
  if (leaveScreen) { leaveScreen(); leaveScreen = null; }
  cartListeners.clear();
  const path = location.pathname;
  const found = routes.find(([re]) => re.test(path));
  const [re, tab, screen] = found || [null, "", notFoundScreen];
  currentRoute = path;
  for (const a of document.querySelectorAll(".tabbar a")) {
    if (a.dataset.tab === tab) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  const args = re ? path.match(re).slice(1).map(decodeURIComponent) : [];
  const view = document.createElement("div");
  view.className = "screen";
  try {
    leaveScreen = (await screen(view, ...args)) || null;
  } catch (err) {
    view.innerHTML = errorBlock(err);
  }
  if (currentRoute !== path) return; // the customer moved on meanwhile
  main.replaceChildren(view);
  const heading = view.querySelector("h1");
  if (heading && routedOnce) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  routedOnce = true;
  window.scrollTo(0, 0);
  document.title = `${heading ? heading.textContent.trim() + " · " : ""}Scan & Go`;
  view.dispatchEvent(new CustomEvent("screen:shown", { bubbles: true }));
}
let routedOnce = false;

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !routes.some(([re]) => re.test(url.pathname))) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", route);

function errorBlock(err) {
  const offline = err instanceof OfflineError;
  return html`<h1 class="h1">${offline ? "You are offline" : err.status === 404 ? "Not found" : "Something went wrong"}</h1>
    <p class="notice ${offline ? "" : "error"}">${err.message}</p>
    <p><a class="button" href="/scan">Scan a product</a></p>`;
}
function notFoundScreen(view) {
  view.innerHTML = html`<h1 class="h1">Page not found</h1><p>This page does not exist.</p>
    <p><a class="button" href="/">Go to the start</a></p>`;
}

// ---------------------------------------------------------------------------------------------
// Scanned codes: a label's URL (/p/, /promo/, /01/) or a bare barcode

const KNOWN_ORIGINS = new Set([location.origin, new URL(CONFIG.publicBaseUrl, location.href).origin]);
/** The shop's own absolute URLs as paths, so they work under whatever host name the phone used. */
const localUrl = (href) => {
  if (!href) return href;
  const url = new URL(href, location.href);
  return KNOWN_ORIGINS.has(url.origin) ? url.pathname + url.search : href;
};
/** Where a scanned or typed code leads; bare codes are resolved by the server (/api/scan). */
export async function openCode(text, { t0 } = {}) {
  const code = text.trim();
  let path = null;
  if (/^https?:\/\//i.test(code)) {
    const url = new URL(code);
    if (!KNOWN_ORIGINS.has(url.origin)) throw new ApiError(400, { message: "This code is not one of our shop's labels." });
    path = url.pathname;
  } else if (code.startsWith("/")) {
    path = code;
  }
  let m;
  if (path && (m = path.match(/^\/p\/([^/]+)\/?$/))) return navigate(`/p/${m[1]}`, { t0 });
  if (path && (m = path.match(/^\/promo\/([^/]+)\/?$/))) return navigate(`/promo/${m[1]}`, { t0 });
  if (path && (m = path.match(/^\/01\/(\d+)/))) return openBarcode(m[1], t0);
  if (path) throw new ApiError(400, { message: "This code is not one of our shop's labels." });
  if (!code) throw new ApiError(400, { message: "Type the code printed under the barcode." });
  return openBarcode(code, t0);
}
async function openBarcode(code, t0) {
  const found = await api(`/api/scan/${encodeURIComponent(code)}`);
  return navigate(`/p/${encodeURIComponent(found.product.product_id)}`,
    { t0, product: found.product, weight: found.weight });
}

function manualForm(id = "manual") {
  return html`<form class="manual card" id="${id}" novalidate>
    <label for="${id}-code">Type the code under the barcode, or the shelf code</label>
    <div class="row">
      <input id="${id}-code" name="code" inputmode="numeric" autocomplete="off" enterkeyhint="go"
        placeholder="e.g. 4006381333931" required>
      <button class="button" type="submit">Find</button>
    </div>
    <p class="field-error" id="${id}-error" role="alert"></p>
  </form>`;
}
function wireManualForm(view, id = "manual") {
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
      errorBox.textContent = err.status === 404 ? `No product with the code “${form.code.value.trim()}”.` : err.message;
      form.code.focus();
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Screens

async function homeScreen(view) {
  view.innerHTML = html`<h1 class="h1">Scan, bag, pay. No queue.</h1>
    <p class="lead">Scan the labels or barcodes as you shop; pay from your phone and show the exit code on your way out.</p>
    <p><a class="button big" href="/scan">${raw('<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M3 7V4h4M17 4h4v3M21 17v3h-4M7 20H3v-3M7 12h10"/></svg>')} Start scanning</a></p>
    ${raw(manualForm())}
    <section aria-labelledby="offers-title"><h2 id="offers-title">Today's offers</h2><div id="offers"><p class="muted">Loading offers…</p></div></section>`;
  wireManualForm(view);
  const box = view.querySelector("#offers");
  api("/api/promotions").then((data) => {
    box.innerHTML = data.promotions.length ? promoList(data.promotions.slice(0, 3)) : `<p class="muted">No offers right now.</p>`;
  }, () => { box.innerHTML = `<p class="muted">Offers are not available offline.</p>`; });
}

async function scanScreen(view) {
  view.innerHTML = html`<h1 class="h1">Scan a product</h1>
    <div class="scanner" id="scanner">
      <video id="camera" muted playsinline aria-label="Camera view"></video>
      <div class="aim" aria-hidden="true"></div>
      <p class="scan-status" id="scan-status" role="status">Starting the camera…</p>
      <button class="button torch" id="torch" type="button" aria-pressed="false" hidden>Torch</button>
    </div>
    ${raw(manualForm())}`;
  wireManualForm(view);
  let stopped = false;
  let scanner = null;
  const status = view.querySelector("#scan-status");
  const showProblem = (message) => {
    view.querySelector("#scanner").classList.add("no-camera");
    status.textContent = message;
    status.classList.add("problem");
  };
  view.addEventListener("screen:shown", async () => {
    try {
      const { startScanner } = await import(CONFIG.scannerModule);
      if (stopped) return;
      scanner = await startScanner({
        video: view.querySelector("#camera"),
        torchButton: view.querySelector("#torch"),
        decoderModule: CONFIG.decoderModule,
        decoderWasm: CONFIG.decoderWasm,
        decoderWasmIntegrity: CONFIG.decoderWasmIntegrity,
        onStatus: (message) => { status.textContent = message; },
        onCode: async (text, t0) => {
          try {
            await openCode(text, { t0 });
            return true;
          } catch (err) {
            toast(err.status === 404 ? `No product with the code ${text}.` : err.message, { error: true });
            return false; // keep scanning
          }
        },
      });
      if (stopped) scanner.stop();
    } catch (err) {
      showProblem(cameraMessage(err));
    }
  }, { once: true });
  return () => { stopped = true; scanner?.stop(); };
}
function cameraMessage(err) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    return "The camera is not available in this browser here (it needs a secure https:// page). Type the code below instead.";
  }
  if (err.name === "NotAllowedError" || err.name === "SecurityError") {
    return "Camera permission was refused. Allow the camera for this site in your browser settings, or type the code below.";
  }
  if (err.name === "NotFoundError" || err.name === "OverconstrainedError") {
    return "No camera was found on this device. Type the code below instead.";
  }
  if (err.name === "NotReadableError") return "The camera is busy in another app. Close it, or type the code below.";
  return `The scanner could not start (${err.message}). Type the code below instead.`;
}

const STOCK_TEXT = { in_stock: "In stock", low: "Only a few left", out_of_stock: "Out of stock" };

async function productScreen(view, productId) {
  const state = history.state || {};
  const initial = document.getElementById("initial-product");
  let product = state.product?.product_id === productId ? state.product : null;
  if (!product && initial) {
    const embedded = JSON.parse(initial.textContent);
    if (embedded.product_id === productId) product = embedded;
  }
  initial?.remove(); // only for the first screen the server rendered
  if (!product) product = await api(`/api/products/${encodeURIComponent(productId)}`);
  const weighed = WEIGHED.has(product.unit);
  const step = weighed ? 0.1 : 1;
  const inCart = cart.lines[product.product_id];
  let qty = state.weight ? Number(state.weight) : weighed ? 0.5 : 1;
  // Under STOCK_POLICY=record an item the records call sold out is still sold: it is in the customer's hand.
  const soldOut = product.active === false || (CONFIG.refusesBeyondStock && product.stock_state === "out_of_stock");
  view.innerHTML = html`<article class="product">
    <img class="product-img" src="${product.image_url || PLACEHOLDER}" alt="${product.image_url ? product.name : ""}" width="320" height="240" decoding="async">
    <h1 class="h1" id="product-name">${product.name}</h1>
    <p class="price"><span class="amount" id="product-price">${fmtMoney(product.price)}</span> <span class="unit">${UNIT_LABEL[product.unit] || product.unit}</span></p>
    <p class="stock ${product.stock_state}">${product.active === false ? "No longer sold" : STOCK_TEXT[product.stock_state] || ""}</p>
    ${raw(product.promotions?.length ? html`<section class="promos" aria-labelledby="promo-title"><h2 id="promo-title">Offers on this product</h2>
      <ul>${product.promotions.map((p) => raw(html`<li><a href="/promo/${encodeURIComponent(p.id)}"><strong>${p.name || p.description}</strong>
        <span>${p.name ? p.description : ""}</span>${raw(p.valid_until ? html`<small>Until ${fmtDate(p.valid_until)}</small>` : "")}</a></li>`))}</ul></section>` : "")}
    <form class="add card" id="add-form" novalidate>
      <label for="qty">${weighed ? "Weight (kg)" : "Quantity"}</label>
      <div class="stepper">
        <button type="button" class="step" data-step="-1" aria-label="Less">−</button>
        <input id="qty" name="qty" type="number" inputmode="${weighed ? "decimal" : "numeric"}" min="${weighed ? 0.005 : 1}" step="${weighed ? 0.005 : 1}" value="${weighed ? qty.toFixed(3) : qty}">
        <button type="button" class="step" data-step="1" aria-label="More">+</button>
      </div>
      <p class="line-estimate" id="estimate" aria-live="polite"></p>
      <button class="button big" type="submit" id="add" ${soldOut ? "disabled" : ""}>${soldOut ? "Not available" : "Add to cart"}</button>
      ${raw(inCart ? html`<p class="muted" id="in-cart">In your cart: ${fmtQty(inCart.quantity, inCart.unit)} · <a href="/cart">View cart</a></p>` : "")}
    </form>
    ${raw(product.description ? html`<h2>About this product</h2><p class="description">${product.description}</p>` : "")}
    <p class="muted small">Code ${product.product_id}${product.gtin ? ` · GTIN ${product.gtin}` : ""}${product.category ? ` · ${product.category.name}` : ""}</p>
  </article>`;
  const input = view.querySelector("#qty");
  const estimate = view.querySelector("#estimate");
  const readQty = () => {
    const n = Number(String(input.value).replace(",", "."));
    return weighed ? Math.round(n * 1000) / 1000 : Math.trunc(n);
  };
  const showEstimate = () => {
    const n = readQty();
    const total = fmtMoney(lineEstimate(product, n));
    estimate.textContent = !(n > 0) ? "" : weighed ? `${fmtQty(n, product.unit)} = ${total}` : `${n} × ${fmtMoney(product.price)} = ${total}`;
  };
  showEstimate();
  input.addEventListener("input", showEstimate);
  for (const b of view.querySelectorAll(".step")) {
    b.addEventListener("click", () => {
      const n = Math.max(weighed ? 0.1 : 1, readQty() + Number(b.dataset.step) * step);
      input.value = weighed ? n.toFixed(3) : String(n);
      showEstimate();
    });
  }
  view.querySelector("#add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = readQty();
    if (!(n > 0)) { toast(weighed ? "Enter a weight in kg, e.g. 0.5." : "Enter a quantity of 1 or more.", { error: true }); input.focus(); return; }
    addToCart(product, n);
    toast(`Added ${fmtQty(n, product.unit)} ${product.name}`);
  });
  if (state.t0) {
    view.addEventListener("screen:shown", () => {
      requestAnimationFrame(() => {
        performance.mark("product:rendered");
        performance.measure("scan-to-screen", { start: state.t0, end: "product:rendered" });
        history.replaceState({ ...state, t0: undefined }, "");
      });
    }, { once: true });
  }
}
const fmtDate = (d) => new Date(d).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });

function promoList(promotions) {
  return html`<ul class="list promo-list">${promotions.map((p) => raw(html`<li><a href="/promo/${encodeURIComponent(p.id)}">
    <strong>${p.name || p.description}</strong>${raw(p.name ? html`<span>${p.description}</span>` : "")}
    <small>${p.valid_until ? `Until ${fmtDate(p.valid_until)}` : ""}</small></a></li>`))}</ul>`;
}

async function promotionsScreen(view) {
  const data = await api("/api/promotions");
  view.innerHTML = html`<h1 class="h1">Offers</h1>
    ${raw(data.promotions.length ? promoList(data.promotions) : "<p>No offers right now. Come back soon!</p>")}`;
}

async function promotionScreen(view, promotionId) {
  const url = new URL(location.href);
  const page = Number(url.searchParams.get("page") || 1);
  const promo = await api(`/api/promotions/${encodeURIComponent(promotionId)}?page=${page}`);
  const products = promo.products || { results: [], count: 0 };
  const STATUS = { active: "On now", upcoming: "Starts soon", ended: "This offer has ended" };
  view.innerHTML = html`<h1 class="h1">${promo.name || promo.description}</h1>
    ${raw(promo.name ? html`<p class="lead">${promo.description}</p>` : "")}
    <p class="stock ${promo.status === "active" ? "in_stock" : "low"}" id="promo-status">${promo.message || STATUS[promo.status] || ""}</p>
    <h2>Products in this offer (${products.count})</h2>
    <ul class="list product-list">${products.results.map((p) => raw(html`<li><a href="/p/${encodeURIComponent(p.product_id)}">
      <img src="${p.image_url || PLACEHOLDER}" alt="" width="48" height="48" loading="lazy">
      <span><strong>${p.name}</strong><small>${STOCK_TEXT[p.stock_state] || ""}</small></span>
      <b>${fmtMoney(p.price)}<small>${UNIT_LABEL[p.unit] || ""}</small></b></a></li>`))}</ul>
    <nav class="pager" aria-label="Pages">
      ${raw(products.previous ? html`<a class="button secondary" href="/promo/${encodeURIComponent(promotionId)}?page=${page - 1}">Previous</a>` : "")}
      ${raw(products.next ? html`<a class="button secondary" href="/promo/${encodeURIComponent(promotionId)}?page=${page + 1}">Next</a>` : "")}
    </nav>`;
  if (history.state?.t0) performance.measure("scan-to-screen", { start: history.state.t0 });
}

function cartScreen(view) {
  const render = () => {
    const lines = Object.values(cart.lines);
    const priced = cartInSync() ? cart.server : null;
    const byId = Object.fromEntries((priced?.lines || []).map((l) => [l.product_id, l]));
    if (!lines.length) {
      view.innerHTML = html`<h1 class="h1">Your cart</h1><p class="empty">Your cart is empty.</p>
        <p><a class="button big" href="/scan">Scan a product</a></p>`;
      return;
    }
    const estimate = lines.reduce((s, l) => s + lineEstimate(l, l.quantity), 0);
    view.innerHTML = html`<h1 class="h1">Your cart</h1>
      ${raw(!priced ? html`<p class="notice" role="status">${navigator.onLine ? "Updating prices…" : "You are offline: your cart is saved on this phone. Offers are worked out when you are back online."}</p>` : "")}
      ${raw((priced?.problems || []).map((p) => html`<p class="notice error">${p.message}</p>`).join(""))}
      <ul class="list cart-lines">${lines.map((l) => {
        const s = byId[l.product_id];
        const weighed = WEIGHED.has(l.unit);
        return raw(html`<li class="cart-line" data-product="${l.product_id}">
          <div class="line-head"><a href="/p/${encodeURIComponent(l.product_id)}"><strong>${l.name}</strong></a>
            <b class="line-total">${fmtMoney(s ? s.line_total : lineEstimate(l, l.quantity))}</b></div>
          <p class="muted small">${fmtMoney(l.unit_price)} ${UNIT_LABEL[l.unit] || ""}</p>
          ${raw((s?.discounts || []).map((d) => html`<p class="discount"><span>${d.reason}</span><b>−${fmtMoney(d.amount)}</b></p>`).join(""))}
          <div class="line-actions">
            <div class="stepper small">
              <button type="button" class="step" data-step="-1" aria-label="Less ${l.name}">−</button>
              <input type="number" aria-label="${weighed ? "Weight in kg" : "Quantity"} of ${l.name}" inputmode="${weighed ? "decimal" : "numeric"}"
                min="0" step="${weighed ? 0.005 : 1}" value="${weighed ? Number(l.quantity).toFixed(3) : l.quantity}">
              <button type="button" class="step" data-step="1" aria-label="More ${l.name}">+</button>
            </div>
            <button type="button" class="button secondary remove">Remove<span class="sr-only"> ${l.name}</span></button>
          </div></li>`);
      })}</ul>
      <dl class="totals">
        ${raw(priced ? html`<div><dt>Subtotal</dt><dd>${fmtMoney(priced.subtotal)}</dd></div>
          <div class="discount"><dt>Discounts</dt><dd id="discount-total">−${fmtMoney(priced.discount_total)}</dd></div>
          <div class="total"><dt>Total</dt><dd id="cart-total">${fmtMoney(priced.total)}</dd></div>`
        : html`<div class="total"><dt>Estimated total</dt><dd>${fmtMoney(estimate)}</dd></div>`)}
      </dl>
      <p><a class="button big ${priced && navigator.onLine ? "" : "disabled"}" href="/checkout" id="to-checkout"
        ${raw(priced && navigator.onLine ? "" : 'aria-disabled="true"')}>Go to checkout</a></p>
      ${raw(navigator.onLine ? "" : '<p class="notice">Paying needs the network. Your cart stays on this phone until you are back online.</p>')}`;
    for (const li of view.querySelectorAll(".cart-line")) {
      const line = cart.lines[li.dataset.product];
      const weighed = WEIGHED.has(line.unit);
      const input = li.querySelector("input");
      const setQty = (n) => {
        n = weighed ? Math.round(n * 1000) / 1000 : Math.trunc(n);
        setLine(line, Math.max(0, n));
      };
      input.addEventListener("change", () => setQty(Number(String(input.value).replace(",", "."))));
      for (const b of li.querySelectorAll(".step")) {
        b.addEventListener("click", () => setQty(Number(line.quantity) + Number(b.dataset.step) * (weighed ? 0.1 : 1)));
      }
      li.querySelector(".remove").addEventListener("click", () => { setLine(line, 0); toast(`Removed ${line.name}`); });
    }
    view.querySelector("#to-checkout")?.addEventListener("click", (e) => {
      if (e.currentTarget.getAttribute("aria-disabled")) { e.preventDefault(); e.stopPropagation(); }
    });
  };
  render();
  cartListeners.add(() => {
    const focused = document.activeElement?.closest?.(".cart-line")?.dataset.product;
    const step = document.activeElement?.dataset?.step;
    render();
    if (focused) view.querySelector(`.cart-line[data-product="${CSS.escape(focused)}"] ${step ? `[data-step="${step}"]` : "input"}`)?.focus();
  });
  syncCart();
}

// --- Checkout -------------------------------------------------------------------------------
// One Idempotency-Key per attempt, kept (also across reloads) until the attempt resolves, so a
// double tap, a retry after a timeout or a reload can never charge twice.
const ATTEMPT_KEY = "scango.checkout.attempt";
// The error codes checkout and quote send when the cart held here no longer matches what the
// server sells (catalog/errors.py, checkout/errors.py): stock, a withdrawn or unknown product, a
// quantity the server refuses, or a total priced before a change.
const STALE_CART_CODES = new Set([
  "out_of_stock", "product_inactive", "unknown_product", "product_not_found", "invalid_quantity", "total_mismatch",
]);
const RECEIPTS_KEY = "scango.receipts";

function checkoutRequest(paymentToken) {
  return {
    customer_id: "",
    cart: Object.values(cart.lines).map((l) => ({ product_id: l.product_id, quantity: Number(l.quantity) })),
    payment_method: "credit_card",
    total_amount: Number(cart.server.total),
    payment_token: paymentToken,
    cart_token: cart.token,
  };
}
function attemptFor(body) {
  const signature = JSON.stringify(body);
  const existing = load(ATTEMPT_KEY, null);
  if (existing && existing.signature === signature) return existing.key;
  const key = uuid();
  save(ATTEMPT_KEY, { key, signature });
  return key;
}
const resolveAttempt = () => localStorage.removeItem(ATTEMPT_KEY);

async function checkoutScreen(view) {
  if (!Object.keys(cart.lines).length) {
    view.innerHTML = html`<h1 class="h1">Checkout</h1><p>Your cart is empty.</p><p><a class="button" href="/scan">Scan a product</a></p>`;
    return;
  }
  if (!navigator.onLine) {
    view.innerHTML = html`<h1 class="h1">Checkout</h1><p class="notice error">Paying needs the network. Connect to the shop's Wi-Fi or mobile data, then try again. Your cart is saved on this phone.</p>
      <p><a class="button secondary" href="/cart">Back to the cart</a></p>`;
    return;
  }
  await syncCart();
  if (!cartInSync()) throw new OfflineError();
  const config = await api("/api/checkout/config");
  const total = cart.server.total;
  view.innerHTML = html`<h1 class="h1">Checkout</h1>
    <dl class="totals">
      <div><dt>${cart.server.item_count ?? Object.keys(cart.lines).length} items</dt><dd>${fmtMoney(cart.server.subtotal)}</dd></div>
      ${raw(Number(cart.server.discount_total) ? html`<div class="discount"><dt>Discounts</dt><dd>−${fmtMoney(cart.server.discount_total)}</dd></div>` : "")}
      <div class="total"><dt>To pay</dt><dd id="pay-total">${fmtMoney(total)}</dd></div>
    </dl>
    <form id="pay-form" class="card" novalidate>
      ${raw(config.gateway === "stripe" ? `<div id="payment-element" class="stripe-box"></div>` : html`
        <fieldset class="test-gateway"><legend><span class="test-badge">TEST</span> Simulated payment: no real money moves</legend>
          ${config.test_outcomes.map((o, i) => raw(html`<label class="choice"><input type="radio" name="outcome" value="${o.token}" ${i === 0 ? "checked" : ""}> ${o.label}</label>`))}
        </fieldset>`)}
      <p id="pay-status" class="pay-status" role="status" aria-live="polite"></p>
      <button class="button big" id="pay" type="submit">Pay ${fmtMoney(total)}</button>
    </form>
    <p class="muted small">Paying needs the network. Card details go straight to the payment provider; this shop never sees them.</p>`;
  const form = view.querySelector("#pay-form");
  const button = view.querySelector("#pay");
  const status = view.querySelector("#pay-status");
  const say = (text, kind = "") => { status.textContent = text; status.className = `pay-status ${kind}`; };
  let stripe = null, elements = null;
  if (config.gateway === "stripe") {
    ({ stripe, elements } = await mountStripe(config, total, view.querySelector("#payment-element")));
  }
  let inFlight = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (inFlight) return; // the second tap of a double tap
    if (!navigator.onLine) { say("You are offline. Paying needs the network: reconnect and tap Pay again.", "error"); return; }
    inFlight = true;
    button.disabled = true;
    button.textContent = "Paying…";
    say("Sending the payment…");
    const slow = setTimeout(() => say("The payment provider is slow to answer. Please wait, don't close this page: you will not be charged twice.", "slow"), 2500);
    try {
      let token;
      if (stripe) {
        const { error: submitError } = await elements.submit();
        if (submitError) throw new ApiError(400, { message: submitError.message });
        const { error, paymentMethod } = await stripe.createPaymentMethod({ elements });
        if (error) throw new ApiError(400, { message: error.message });
        token = paymentMethod.id;
      } else {
        token = form.outcome.value;
      }
      const body = checkoutRequest(token);
      const key = attemptFor(body);
      let result = await api("/api/checkout", { method: "POST", body, headers: { "Idempotency-Key": key } })
        .catch(checkoutAnswer);
      if (result.status === "requires_action") {
        clearTimeout(slow);
        say("Your bank wants you to confirm this payment.");
        result = await authenticate(result, stripe, view, say);
      }
      if (result.status === "pending") result = await waitForPayment(result, say);
      if (result.status === "success") {
        resolveAttempt();
        rememberReceipt(result.transaction_id);
        cart.lines = {}; cart.server = null; cart.dirty = false; cartChanged();
        syncCart();
        await navigate(`/receipts/${encodeURIComponent(result.transaction_id)}`, { justPaid: true }, { replace: true });
        return;
      }
      resolveAttempt(); // a decline is final: a new tap is a new attempt
      say(`${result.message || "The payment was declined."} Nothing was charged. Choose another way to pay and try again.`, "error");
    } catch (err) {
      if (err instanceof OfflineError) {
        say("The connection dropped before the payment was confirmed. Tap Pay again when you are back online: you will not be charged twice.", "error");
      } else {
        if (err instanceof ApiError && err.status < 500) resolveAttempt(); // refused before any charge
        say(`${err.message} Nothing was charged.`, "error");
        if (STALE_CART_CODES.has(err.code)) {
          // The cart on this phone is not what the server would sell: show the server's, with
          // its problems named, instead of a total that can only be refused again.
          toast(`${err.message} Nothing was charged. Check your cart.`, { error: true });
          await syncCart();
          await navigate("/cart");
          return;
        }
      }
    } finally {
      clearTimeout(slow);
      inFlight = false;
      button.disabled = false;
      button.textContent = `Try again: pay ${fmtMoney(total)}`;
    }
  });
}

/** A declined payment is an answer (402 with the checkout body), not an error. */
function checkoutAnswer(err) {
  if (err instanceof ApiError && err.body?.transaction_id && err.body?.status) return err.body;
  throw err;
}

async function authenticate(result, stripe, view, say) {
  if (stripe) {
    const { error } = await stripe.handleNextAction({ clientSecret: result.client_secret });
    if (error) return { status: "failed", message: error.message };
  } else {
    // The simulated gateway's stand-in for the bank's 3-D Secure page.
    const box = document.createElement("div");
    box.className = "card auth-box";
    box.innerHTML = html`<p><span class="test-badge">TEST</span> Your bank asks you to confirm this payment.</p>
      <button type="button" class="button" id="auth-ok">Confirm payment</button>
      <button type="button" class="button secondary" id="auth-cancel">Cancel</button>`;
    view.querySelector("#pay-form").before(box);
    box.querySelector("#auth-ok").focus();
    const confirmed = await new Promise((resolve) => {
      box.querySelector("#auth-ok").onclick = () => resolve(true);
      box.querySelector("#auth-cancel").onclick = () => resolve(false);
    });
    box.remove();
    if (!confirmed) return { status: "failed", message: "You cancelled the confirmation." };
  }
  say("Confirming the payment…");
  return api(`/api/checkout/${encodeURIComponent(result.transaction_id)}/confirm`, { method: "POST", body: {} })
    .catch(checkoutAnswer);
}

async function waitForPayment(result, say) {
  say("The payment provider is still working on it. Please wait…", "slow");
  for (let i = 0; i < 30; i += 1) {
    await new Promise((r) => setTimeout(r, 2000));
    try {
      const receipt = await api(`/api/receipts/${encodeURIComponent(result.transaction_id)}`);
      if (receipt.status !== "pending") return { ...result, ...receipt };
    } catch (err) {
      if (!(err instanceof OfflineError)) throw err;
    }
  }
  return { ...result, status: "pending", message: "The payment is still pending." };
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.onload = resolve; s.onerror = () => reject(new OfflineError());
    document.head.append(s);
  });
}
async function mountStripe(config, total, mount) {
  await loadScript(CONFIG.stripeJs); // Stripe's own script, only when the shop uses Stripe
  const stripe = window.Stripe(config.publishable_key);
  const elements = stripe.elements({
    mode: "payment", amount: Math.round(Number(total) * 100), currency: config.currency.toLowerCase(),
    paymentMethodCreation: "manual", appearance: { theme: "stripe", variables: { colorPrimary: "#0b6e4f" } },
  });
  elements.create("payment").mount(mount);
  return { stripe, elements };
}

// --- Receipts ---------------------------------------------------------------------------------
function rememberReceipt(id) {
  const ids = load(RECEIPTS_KEY, []).filter((x) => x !== id);
  save(RECEIPTS_KEY, [id, ...ids].slice(0, 50));
}

async function receiptScreen(view, transactionId) {
  const r = await api(`/api/receipts/${encodeURIComponent(transactionId)}`);
  const lines = r.lines || r.items || [];
  view.innerHTML = html`<h1 class="h1">${history.state?.justPaid ? "Paid. Thank you!" : "Receipt"}</h1>
    <section class="exit card" aria-labelledby="exit-title">
      <h2 id="exit-title">Exit code</h2>
      ${raw(r.exit_qr_url ? html`<img id="exit-qr" class="exit-qr" src="${localUrl(r.exit_qr_url)}" alt="Exit QR code ${r.exit_code || ""}" width="220" height="220">` : "")}
      ${raw(r.exit_code ? html`<p class="exit-code">${r.exit_code}</p>` : "")}
      <p class="muted small">Show this at the exit gate.</p>
    </section>
    <p class="muted">${r.created_at ? new Date(r.created_at).toLocaleString("en-GB") : ""} · ${r.status === "success" ? "Paid" : r.status}</p>
    <ul class="list receipt-lines">${lines.map((l) => raw(html`<li>
      <div class="line-head"><span>${l.name}</span><b>${fmtMoney(l.line_total ?? l.total ?? l.price * l.quantity)}</b></div>
      <p class="muted small">${fmtQty(l.quantity, l.unit || "each")} ${fmtMoney(l.unit_price ?? l.price)}</p>
      ${raw((l.discounts || []).map((d) => html`<p class="discount"><span>${d.reason}</span><b>−${fmtMoney(d.amount)}</b></p>`).join(""))}</li>`))}</ul>
    <dl class="totals">
      ${raw(r.subtotal !== undefined ? html`<div><dt>Subtotal</dt><dd>${fmtMoney(r.subtotal)}</dd></div>` : "")}
      ${raw(Number(r.discount_total) ? html`<div class="discount"><dt>Discounts</dt><dd>−${fmtMoney(r.discount_total)}</dd></div>` : "")}
      <div class="total"><dt>Total paid</dt><dd id="receipt-total">${fmtMoney(r.receipt?.total ?? r.total)}</dd></div>
      ${raw(Number(r.tax) ? html`<div class="muted small"><dt>of which tax</dt><dd>${fmtMoney(r.tax)}</dd></div>` : "")}
    </dl>
    <p class="muted small">Transaction ${r.transaction_id || transactionId}</p>
    <p><a class="button secondary" href="/receipts">All receipts</a></p>`;
}

async function receiptsScreen(view) {
  let receipts = [];
  let offline = false;
  try {
    const data = await api("/api/receipts");
    receipts = Array.isArray(data) ? data : data.results || data.receipts || [];
  } catch (err) {
    if (!(err instanceof OfflineError)) throw err;
    offline = true;
    receipts = load(RECEIPTS_KEY, []).map((id) => ({ transaction_id: id }));
  }
  view.innerHTML = html`<h1 class="h1">Your receipts</h1>
    ${raw(offline ? '<p class="notice">You are offline: showing the receipts saved on this phone.</p>' : "")}
    ${raw(receipts.length ? html`<ul class="list receipt-list">${receipts.map((r) => raw(html`<li><a href="/receipts/${encodeURIComponent(r.transaction_id)}">
      <span><strong>${r.created_at ? new Date(r.created_at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : r.transaction_id}</strong>
      <small>${r.lines ? `${r.lines.length} products` : ""}</small></span>
      <b>${r.total !== undefined || r.receipt ? fmtMoney(r.receipt?.total ?? r.total) : ""}</b></a></li>`))}</ul>`
    : "<p>No receipts on this phone yet.</p>")}`;
}

// ---------------------------------------------------------------------------------------------
// Start

cartChanged();
showNetwork();
route();
if (cart.dirty || cart.token) syncCart(); // an empty, never-used cart costs no request
if ("serviceWorker" in navigator) {
  const firstVisit = !navigator.serviceWorker.controller;
  // On the very first visit the worker starts after this page loaded: hand it the page so that a
  // deep-linked product (a label scanned with the phone's camera app) also opens offline later.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (firstVisit) navigator.serviceWorker.controller?.postMessage({ type: "keep-page", url: location.pathname });
  }, { once: true });
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* the app works without it */ });
  });
}
