// Service worker written by build_wasm.py: makes a second visit fast and lets labs open offline.
// Within one build, marimo's content-hashed assets, the Pyodide runtime and the wheels never
// change, so they are served cache-first; pages, the browser's pyodide-lock.json and the mlsysim
// wheel (rebuilt from the repo) are network-first, falling back to the cache when offline. A new
// build has a new BUILD_ID, hence a new, empty cache.
const CACHE = "mlsysim-labs-__BUILD_ID__";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

function immutable(url) {
  if (url.origin !== self.location.origin) return false;
  const p = url.pathname;
  if (p.includes("/labs/assets/")) return true;
  if (p.includes("/pyodide/")) {
    const name = p.slice(p.lastIndexOf("/") + 1);
    return !(name === "pyodide-lock.json" || name.startsWith("mlsysim-"));
  }
  return false;
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (immutable(url)) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(req);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) cache.put(req, res.clone());
      return res;
    })());
  } else {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok) cache.put(req, res.clone());
        return res;
      } catch (err) {
        const hit = await cache.match(req);
        if (hit) return hit;
        throw err;
      }
    })());
  }
});
