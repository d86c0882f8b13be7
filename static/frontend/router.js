// The router: one app shell for every path; a screen is a function that fills a fresh view and
// may return what to do when the customer leaves it. The table of screens lives in app.js.
import { OfflineError } from "./api.js";
import { forgetCartWatchers } from "./cart.js";
import { html } from "./ui.js";
import { _ } from "./i18n.js";

const main = document.getElementById("main");
let routes = [];
let currentRoute = null;
let leaveScreen = null;
let routedOnce = false;

/** A product's page: the path its shelf-label QR code encodes (catalog.models.product_path). */
export const productPath = (productId) => `/p/${encodeURIComponent(productId)}`;

export function navigate(path, state = {}, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](state, "", path);
  return route();
}
async function route() {
  if (leaveScreen) { leaveScreen(); leaveScreen = null; }
  forgetCartWatchers();
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

/** routes: [pattern, tab to highlight, screen] rows; links to them open without a page load. */
export function startRouter(table) {
  routes = table;
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a[href]");
    if (!a || a.target || a.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !routes.some(([re]) => re.test(url.pathname))) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", route);
  return route();
}

function errorBlock(err) {
  const offline = err instanceof OfflineError;
  return html`<h1 class="h1">${offline ? _("You are offline") : err.status === 404 ? _("Not found") : _("Something went wrong")}</h1>
    <p class="notice ${offline ? "" : "error"}">${err.message}</p>
    <p><a class="button" href="/scan">${_("Scan a product")}</a></p>`;
}
function notFoundScreen(view) {
  view.innerHTML = html`<h1 class="h1">${_("Page not found")}</h1><p>${_("This page does not exist.")}</p>
    <p><a class="button" href="/">${_("Go to the start")}</a></p>`;
}
