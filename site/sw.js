// Service worker written by build_wasm.py: what lets a lab open with no network at all, and
// nothing more. While the network answers it does not answer any request itself (the browser
// fetches as usual, from its HTTP cache where the files are immutable, and keeps the compiled
// code of the scripts it caches, which it does not for responses a worker hands back). Its cache
// is filled at install time with the files every lab needs (the Pyodide runtime, the lock and
// the wheels loaded at boot, the index), and by each lab page once the lab is live, with the
// files that page loaded; each build has its own cache (BUILD_ID).
const CACHE = "mlsysim-labs-__BUILD_ID__";
const PRECACHE = __PRECACHE__;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((p) => new URL(p, self.registration.scope).href));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

// A lab page, once live, sends the same-origin files it loaded (its own scripts, styles, fonts).
self.addEventListener("message", (event) => {
  const urls = (event.data && event.data.cache) || [];
  const own = urls.filter((u) => new URL(u).origin === self.location.origin);
  event.waitUntil(caches.open(CACHE).then(async (cache) => {
    for (const u of own) if (!(await cache.match(u, { ignoreSearch: true }))) await cache.add(u).catch(() => {});
  }));
});

self.addEventListener("fetch", (event) => {
  if (self.navigator.onLine) return;  // the network answers: not ours to serve
  const req = event.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const hit = await caches.match(req, { ignoreSearch: true, cacheName: CACHE });
    return hit || fetch(req);
  })());
});
