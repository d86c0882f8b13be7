// The cart: the device's copy is what the customer wants; the server's copy prices it (discounts).
// Every change is saved locally first and pushed when the network allows, so the cart survives
// reloads and dead spots in the shop.
import { api, ApiError, OfflineError, sendCartToken } from "./api.js";
import { isWeighed } from "./format.js";
import { load, save } from "./storage.js";
import { toast } from "./ui.js";
import { _ } from "./i18n.js";

const CART_KEY = "scango.cart.v1";
export const cart = Object.assign({ token: null, lines: {}, server: null, dirty: false, coupons: [], quote: null }, load(CART_KEY, {}));
sendCartToken(() => cart.token);

// The current screen's views of the cart, redrawn on every change; the router forgets them.
const watchers = new Set();
export const watchCart = (redraw) => watchers.add(redraw);
export const forgetCartWatchers = () => watchers.clear();
export const redrawCartViews = () => watchers.forEach((fn) => fn());

export function cartChanged() {
  save(CART_KEY, { token: cart.token, lines: cart.lines, server: cart.server, dirty: cart.dirty, coupons: cart.coupons, quote: cart.quote });
  const count = Object.values(cart.lines).reduce((n, l) => n + (isWeighed(l.unit) ? 1 : Number(l.quantity)), 0);
  const badge = document.getElementById("cart-badge");
  badge.hidden = count === 0;
  badge.textContent = String(count);
  badge.setAttribute("aria-label", _("%(n)s in cart", { n: count }));
  redrawCartViews();
}
function adoptServerCart(data) {
  cart.token = data.token || cart.token;
  cart.server = data;
  const known = cart.lines; // their names are in the customer's language (i18n.localized)
  cart.lines = {};
  for (const l of data.lines) {
    cart.lines[l.product_id] = { product_id: l.product_id, name: known[l.product_id]?.name || l.name, unit: l.unit, quantity: l.quantity,
      unit_price: l.unit_price, price_per_kg: l.price_per_kg, image_url: l.image_url, min_age: l.min_age };
  }
}
export function setLine(product, quantity) {
  if (quantity <= 0) delete cart.lines[product.product_id];
  else cart.lines[product.product_id] = { product_id: product.product_id, name: product.name, unit: product.unit,
    quantity, unit_price: product.price ?? product.unit_price, price_per_kg: product.price_per_kg,
    image_url: product.image_url, min_age: product.min_age };
  cart.dirty = true;
  localChanges += 1;
  cartChanged();
  return syncCart();
}
export function addToCart(product, quantity) {
  const current = Number(cart.lines[product.product_id]?.quantity || 0);
  const next = isWeighed(product.unit) ? Math.round((current + quantity) * 1000) / 1000 : current + quantity;
  return setLine(product, next);
}
/** A deposit-return voucher: the server checks it and prices the cart with it (a negative line). */
export async function changeVoucher(code, { remove = false } = {}) {
  await syncCart();
  const server = remove
    ? await api(`/api/cart/vouchers/${encodeURIComponent(code)}`, { method: "DELETE" })
    : await api("/api/cart/vouchers", { method: "POST", body: { code } });
  if (!cart.dirty) adoptServerCart(server);
  cartChanged();
}
export function cartInSync() { return !cart.dirty && cart.server !== null; }
/** What the customer pays: the server's cart, priced with the coupon codes when there are any. */
export function pricedCart() {
  if (!cartInSync()) return null;
  return cart.quote ? { ...cart.server, ...cart.quote, problems: cart.server.problems } : cart.server;
}

// Coupon codes stay on the phone and go with the quote and the checkout; the quote prices the cart
// with them, and names each code that does not apply and why (checkout/coupons.py).
export const couponProblems = [];
function quoteBody() {
  return {
    customer_id: "",
    cart: Object.values(cart.lines).map((l) => ({ product_id: l.product_id, quantity: Number(l.quantity) })),
    vouchers: (cart.server?.vouchers || []).map((v) => v.code),
    coupons: cart.coupons,
  };
}
async function priceCoupons() {
  cart.quote = null;
  if (!cart.coupons.length || !cartInSync() || !Object.keys(cart.lines).length) return;
  try {
    cart.quote = await api("/api/checkout/quote", { method: "POST", body: quoteBody() });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "coupon_not_applicable") throw err;
    // The codes that do not apply leave the cart, their reasons shown; the rest price it.
    const refused = new Set(err.detail.coupons.map((c) => c.code));
    couponProblems.push(...err.detail.coupons);
    cart.coupons = cart.coupons.filter((c) => !refused.has(c));
    return priceCoupons();
  }
}
/** After the lines changed: the coupons price the new basket, or say why they no longer apply. */
async function repriceCoupons() {
  couponProblems.length = 0;
  try {
    await priceCoupons();
  } catch (err) {
    cart.quote = null; // priced again on the next change
    if (!(err instanceof OfflineError)) toast(err.message, { error: true });
  }
}
export async function addCoupon(code) {
  couponProblems.length = 0;
  code = code.trim().toUpperCase();
  if (code && !cart.coupons.includes(code)) {
    await syncCart();
    cart.coupons = [...cart.coupons, code];
    try { await priceCoupons(); } finally { cartChanged(); }
  }
}
export async function removeCoupon(code) {
  couponProblems.length = 0;
  cart.coupons = cart.coupons.filter((c) => c !== code);
  try { await priceCoupons(); } finally { cartChanged(); }
}
/** After a change of store: the cart the server now holds for this phone (a new, empty one in the
 * new store, or the same one when it was already that store's). */
export function startCartAfresh(data) {
  cart.lines = {}; cart.dirty = false; cart.quote = null; localChanges += 1;
  adoptServerCart(data);
  cartChanged();
}
// A cart is one store's: the store module answers when the phone is now in another (store.js).
let cartInOtherStore = () => {};
export const whenCartInOtherStore = (handler) => { cartInOtherStore = handler; };

/** After a successful payment: the server has closed that cart. */
export function emptyCart() {
  cart.lines = {}; cart.server = null; cart.dirty = false; cart.coupons = []; cart.quote = null; cartChanged();
}

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
      if (err instanceof ApiError && err.code === "cart_in_other_store") cartInOtherStore(err);
      // A failed background read is retried on the next change or when back online.
      else if (cart.dirty && !(err instanceof OfflineError)) toast(err.message, { error: true });
    } finally {
      if (cart.coupons.length && navigator.onLine) await repriceCoupons();
      cartChanged();
    }
  })();
  // Cleared only after the run settles (an offline run finishes synchronously, before this line).
  syncing = run.finally(() => { syncing = null; });
  return syncing;
}
