// The public API's client: JSON in and out, the CSRF token on writes, the cart token on every
// request, and two kinds of failure: the server's answer (ApiError) or no network (OfflineError).
import { _ } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || _("The server answered %(status)s.", { status }));
    this.status = status; this.code = body?.code || "error"; this.detail = body?.detail || {}; this.body = body;
  }
}
export class OfflineError extends Error {
  constructor() { super(_("You are offline. Check your connection and try again.")); }
}
const cookie = (name) => document.cookie.split("; ").find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1) || "";
const csrfToken = () => cookie("csrftoken");
/** The store the server remembers for this phone (the store cookie; store.js), "" for none. */
export const rememberedStore = () => cookie("store");
// The cart module says which cart this phone holds (it owns the token; this module owns requests).
let cartToken = () => null;
export function sendCartToken(currentToken) { cartToken = currentToken; }

export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  const token = cartToken();
  if (token) init.headers["X-Cart-Token"] = token;
  // The store the phone is in (the cookie the server set): named again so that the service worker
  // keeps each store's answers apart (sw.js); the server reads the same store either way.
  const store = rememberedStore();
  if (store) init.headers["X-Store"] = store;
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
