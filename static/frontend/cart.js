// The cart: the device's copy is what the customer wants; the server's copy prices it (discounts).
// Every change is saved locally first and pushed when the network allows, so the cart survives
// reloads and dead spots in the shop.
import { api, ApiError, OfflineError, sendCartToken } from "./api.js";
import { isWeighed } from "./format.js";
import { load, save } from "./storage.js";
import { toast } from "./ui.js";
import { _ } from "./i18n.js";

const CART_KEY = "scango.cart.v1";
export const cart = Object.assign({ token: null, lines: {}, server: null, dirty: false }, load(CART_KEY, {}));
sendCartToken(() => cart.token);

// The current screen's views of the cart, redrawn on every change; the router forgets them.
const watchers = new Set();
export const watchCart = (redraw) => watchers.add(redraw);
export const forgetCartWatchers = () => watchers.clear();
export const redrawCartViews = () => watchers.forEach((fn) => fn());

export function cartChanged() {
  save(CART_KEY, { token: cart.token, lines: cart.lines, server: cart.server, dirty: cart.dirty });
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
/** After a successful payment: the server has closed that cart. */
export function emptyCart() {
  cart.lines = {}; cart.server = null; cart.dirty = false; cartChanged();
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
