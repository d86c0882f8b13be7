// Scan & Go: the customer app, plain ES modules and no framework. This entry module holds the
// table of screens and starts the app; the cart (cart.js) lives on the device and syncs with the
// server, api.js talks to the public API, and each screen is one module in screens/. The camera
// decoder loads only when the scanner opens (scanner.js).
import { api } from "./api.js";
import { cart, cartChanged, redrawCartViews, syncCart } from "./cart.js";
import { startRouter } from "./router.js";
import { accountScreen, resetPasswordScreen } from "./screens/account.js";
import { cartScreen, couponLinkScreen } from "./screens/cart.js";
import { checkoutScreen } from "./screens/checkout.js";
import { homeScreen } from "./screens/home.js";
import { productScreen } from "./screens/product.js";
import { promotionScreen, promotionsScreen } from "./screens/promotions.js";
import { receiptScreen, receiptsScreen } from "./screens/receipts.js";
import { scanScreen } from "./screens/scan.js";
import { staffScreen } from "./screens/staff.js";
import { showStore } from "./store.js";

const ROUTES = [
  [/^\/$/, "home", homeScreen],
  [/^\/scan\/?$/, "scan", scanScreen],
  [/^\/p\/([^/]+)\/?$/, "scan", productScreen],
  [/^\/promotions\/?$/, "promotions", promotionsScreen],
  [/^\/promo\/([^/]+)\/?$/, "promotions", promotionScreen],
  [/^\/cart\/?$/, "cart", cartScreen],
  [/^\/c\/([^/]+)\/?$/, "cart", couponLinkScreen],
  [/^\/checkout\/?$/, "cart", checkoutScreen],
  [/^\/receipts\/?$/, "receipts", receiptsScreen],
  [/^\/receipts\/([^/]+)\/?$/, "receipts", receiptScreen],
  [/^\/account\/?$/, "account", accountScreen],
  [/^\/account\/reset-password\/?$/, "account", resetPasswordScreen],
  [/^\/staff\/?$/, "staff", staffScreen],
];

function showNetwork() {
  document.getElementById("net-status").hidden = navigator.onLine;
  document.body.classList.toggle("offline", !navigator.onLine);
  redrawCartViews(); // the cart screen says whether paying is possible now
}
window.addEventListener("online", () => { showNetwork(); syncCart(); });
window.addEventListener("offline", showNetwork);

// The language switch: the server remembers the choice (a cookie) and renders the page in it.
document.getElementById("language").addEventListener("change", async (event) => {
  await api("/api/language", { method: "POST", body: { language: event.target.value } });
  location.reload();
});

cartChanged();
showNetwork();
startRouter(ROUTES);
showStore();
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
