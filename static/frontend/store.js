// Which store the app is in: the banner on every screen (only when the chain has more than one
// open store), the switch, and what a scanned entrance QR (/s/{code}) or a store's label
// (/p/{id}?store={code}) does. The server remembers the store in the store cookie, which every API
// call carries. A cart belongs to one store: changing store with something in it asks first, and
// only then lets the server drop it (PUT /api/cart/store answers 409 until empty_cart is given).
import { api, ApiError, rememberedStore } from "./api.js";
import { cart, startCartAfresh, syncCart, whenCartInOtherStore } from "./cart.js";
import { navigate } from "./router.js";
import { load, save } from "./storage.js";
import { html, raw, toast } from "./ui.js";
import { _ } from "./i18n.js";

const banner = document.getElementById("store-banner");
let stores = [];
let current = null; // the store the server says this phone is in; null when that one closed
let asking = null; // a change waiting for the customer's answer: {code, message, cartStore}
let changing = false;

// The product pages the service worker keeps for offline use (its PAGES cache, sw.js) carry the
// product as one store sells it: when the phone is in another store, they go.
const SEEN_KEY = "scango.store.v1";
async function forgetOtherStoresPages(code) {
  if (load(SEEN_KEY, "") === code) return;
  save(SEEN_KEY, code);
  if (!("caches" in window)) return;
  const pages = await caches.open("pages-v1");
  for (const request of await pages.keys()) {
    if (new URL(request.url).pathname.startsWith("/p/")) await pages.delete(request);
  }
}

/** The code of the store the app is in, once known. */
export const currentStoreCode = () => current?.code;

/** Load the open stores and the current one, and show the banner when there is a choice. */
export async function showStore() {
  forgetOtherStoresPages(rememberedStore()); // the entrance QR may have opened the app in a new store
  try {
    stores = (await api("/api/stores")).stores;
    if (stores.length < 2) { banner.hidden = true; return; } // one store: nothing to say
    current = await api("/api/stores/current").catch((err) => {
      if (err instanceof ApiError && err.code === "unknown_store") return null; // closed since: choose
      throw err;
    });
  } catch {
    return; // offline at start: the banner waits for the next start
  }
  render();
}

const storeName = (code) => stores.find((s) => s.code === code)?.name || code;

function render({ open = false, focus = null } = {}) {
  banner.hidden = stores.length < 2;
  if (banner.hidden) return;
  const list = html`<ul class="store-list" id="store-list" ${open || !current ? "" : "hidden"}>${stores.map((s) => raw(html`<li>
      <button type="button" data-store="${s.code}" ${s.code === current?.code ? raw('aria-current="true"') : ""}>
        <strong>${s.name}</strong>${raw(s.address ? html`<small>${s.address}</small>` : "")}${raw(s.opening_hours ? html`<small>${s.opening_hours}</small>` : "")}
      </button></li>`))}</ul>`;
  const ask = asking ? html`<div class="store-ask notice" role="group" aria-labelledby="store-ask-text">
      <p id="store-ask-text" tabindex="-1">${asking.message}</p>
      <div class="row">
        <button class="button" type="button" id="store-empty-cart">${_("Empty the cart and shop in %(store)s", { store: storeName(asking.code) })}</button>
        <button class="button secondary" type="button" id="store-keep-cart">${_("Keep my cart in %(store)s", { store: storeName(asking.cartStore) })}</button>
      </div></div>` : "";
  banner.innerHTML = html`<div>
    <p class="store-now"><span class="where">${current ? raw(html`${_("Your store:")} <strong id="store-name">${current.name}</strong>`) : _("Choose the store you are in.")}</span>
      ${raw(current ? html`<button class="button secondary" type="button" id="store-change" aria-expanded="${open ? "true" : "false"}" aria-controls="store-list">${_("Change store")}</button>` : "")}</p>
    ${raw(ask)}${raw(list)}</div>`;
  banner.querySelector("#store-change")?.addEventListener("click", () => render({ open: !open, focus: open ? "#store-change" : "#store-list button" }));
  for (const button of banner.querySelectorAll("[data-store]")) {
    button.addEventListener("click", () => changeStore(button.dataset.store));
  }
  banner.querySelector("#store-empty-cart")?.addEventListener("click", () => changeStore(asking.code, { emptyCart: true }));
  banner.querySelector("#store-keep-cart")?.addEventListener("click", () => {
    const back = asking.cartStore;
    asking = null;
    if (back !== current?.code) changeStore(back); // the phone was taken to another store: go back
    else render({ focus: "#store-change" });
  });
  if (focus) banner.querySelector(focus)?.focus();
}

/**
 * Shop in the store `code` from now on: the server remembers it and starts the cart there. A cart
 * of another store that holds something is dropped only after the customer agreed (emptyCart).
 * Resolves true when the store changed; false when it waits for the customer or failed. The
 * screen shown is drawn again for the new store unless the caller opens another (reroute).
 */
export async function changeStore(code, { emptyCart = false, reroute = true } = {}) {
  if (changing) return false;
  changing = true;
  try {
    if (cart.dirty) await syncCart(); // the server decides on what the cart really holds
    let data;
    try {
      data = await api("/api/cart/store", { method: "PUT", body: { store: code, empty_cart: emptyCart } });
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== "cart_in_other_store") {
        toast(err.message, { error: true }); // offline, or a store closed meanwhile
        return false;
      }
      if (!stores.length) stores = (await api("/api/stores")).stores;
      asking = { code, message: err.message, cartStore: err.detail.cart_store };
      render({ focus: "#store-ask-text" });
      return false;
    }
    asking = null;
    startCartAfresh(data);
    await forgetOtherStoresPages(code);
    if (!stores.length) stores = (await api("/api/stores")).stores;
    current = stores.find((s) => s.code === code) || (await api("/api/stores/current"));
    render();
    toast(_("You are shopping in %(store)s.", { store: current.name }));
    // The screen again, as the new store sells it (no product kept from the old one).
    if (reroute) await navigate(location.pathname + location.search, {}, { replace: true });
    return true;
  } finally {
    changing = false;
  }
}

// The phone was taken to another store (its entrance QR opened in the camera app) while the cart
// is the old store's: an empty cart simply follows; one holding something asks.
whenCartInOtherStore((err) => {
  if (!asking && !changing) changeStore(err.detail.store);
});
