// Scan & Go service worker, version {{ version }} (rendered by frontend.views.service_worker).
// - App shell: precached, so the app opens without network.
// - Product, scan, promotion, store and receipt API reads: network first, the last copy when offline;
//   a store's answers (prices, stock, offers) are kept per store and never served in another.
// - Screens (navigations): network first, else this page's last copy, else the shell.
// - Hashed static files: cache first (their names change when their content does).
// - Cart and checkout: never cached; writes (POST/PUT/DELETE) are never touched.
const VERSION = "{{ version }}";
const SHELL = `shell-${VERSION}`;
const PAGES = "pages-v1";
const API = "api-v1";
const STATIC = "static-v1";
const SHELL_URLS = ["/", {% for url in shell_assets %}"{{ url|escapejs }}", {% endfor %}];
const CACHED_API = /^\/api\/(products\/[^/]+|products\/gtin\/[^/]+|scan\/[^/]+|promotions(\/[^/]+)?|stores(\/current)?|receipts\/[^/]+)$/;
// What a store answers differently: the page names its store in X-Store (its store cookie, which
// a worker cannot read), and the copy is kept under that store.
const STORE_SCOPED = /^\/api\/(products|scan|promotions|stores\/current)\b/;
const MAX_ENTRIES = 200;
const HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([SHELL, PAGES, API, STATIC]);
    for (const key of await caches.keys()) if (!keep.has(key)) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigation(request));
  } else if (CACHED_API.test(url.pathname)) {
    event.respondWith(networkFirst(request, API, storeKey(request, url)));
  } else if (url.pathname.startsWith("/static/")) {
    // Hashed names (name.0123456789ab.js) never change; the others are refreshed when online.
    event.respondWith(HASHED.test(url.pathname) ? cacheFirst(request) : networkFirst(request, STATIC));
  } else if (/^\/(p|promo)\/[^/]+\/qr\.svg$/.test(url.pathname) || /^\/api\/receipts\/exit\/[^/]+\/qr\.svg$/.test(url.pathname)) {
    event.respondWith(networkFirst(request, API));
  }
});

// A page loaded before this worker controlled it: fetch and keep it like a navigation would have.
self.addEventListener("message", (event) => {
  const url = event.data?.type === "keep-page" && new URL(event.data.url, self.location.origin);
  if (url && url.origin === self.location.origin) {
    event.waitUntil(caches.open(PAGES).then((cache) => cache.add(new Request(url.href, { credentials: "same-origin" }))).catch(() => {}));
  }
});

function storeKey(request, url) {
  if (!STORE_SCOPED.test(url.pathname)) return request;
  const keyed = new URL(url);
  keyed.searchParams.set("sw-store", request.headers.get("X-Store") || "");
  return keyed.href;
}

async function networkFirst(request, cacheName, key = request) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) { await cache.put(key, response.clone()); trim(cache); }
    return response;
  } catch (err) {
    const cached = (await cache.match(key)) || (await caches.match(key));
    if (cached) return cached;
    throw err;
  }
}

// The password reset link's page carries its one-use token in the address: never kept.
const UNKEPT_PAGES = /^\/account\/reset-password\/?$/;

async function navigation(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok && !UNKEPT_PAGES.test(new URL(request.url).pathname)) { await cache.put(request, response.clone()); trim(cache); }
    return response;
  } catch (err) {
    const cached = (await cache.match(request, { ignoreSearch: true })) || (await caches.match("/", { cacheName: SHELL }));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) { const cache = await caches.open(STATIC); await cache.put(request, response.clone()); }
  return response;
}

// Keep the runtime caches bounded (oldest entries go first).
async function trim(cache) {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) await cache.delete(key);
}
