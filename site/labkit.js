// The page side of the lab kit (labs/labkit). A lab's Python runs in a web worker, which cannot
// reach the clipboard or reload the page; these few things happen here, in the page.
(function () {
  "use strict";
  var DB = "mlsysim-labs", STORE = "labs";

  // "Copy my link": buttons carry their link in data-labkit-copy (relative to this page).
  // marimo renders outputs inside custom elements, so look along the event's composed path.
  document.addEventListener("click", function (e) {
    var path = e.composedPath ? e.composedPath() : [e.target];
    for (var i = 0; i < path.length; i++) {
      var el = path[i];
      if (el && el.getAttribute && el.hasAttribute("data-labkit-copy")) {
        var url = new URL(el.getAttribute("data-labkit-copy"), location.href).href;
        var done = function () { el.textContent = "Copied"; setTimeout(function () { el.textContent = "Copy my link"; }, 2000); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url).then(done, function () { window.prompt("Copy this link:", url); });
        } else {
          window.prompt("Copy this link:", url);
        }
        e.preventDefault();
        return;
      }
    }
  }, true);

  // "Start over": the worker cleared the lab's state and asks for a fresh page.
  if ("BroadcastChannel" in window) {
    new BroadcastChannel("labkit").onmessage = function (e) {
      if (e.data && e.data.reload) setTimeout(function () { location.reload(); }, 150);
    };
  }

  // The index: each lab's progress, as the kit saved it in IndexedDB.
  function progress() {
    var spots = document.querySelectorAll("[data-lab-progress]");
    if (!spots.length || !window.indexedDB) return;
    var req = indexedDB.open(DB, 1);
    req.onupgradeneeded = function () { req.result.createObjectStore(STORE); };
    req.onsuccess = function () {
      var db = req.result, tx = db.transaction(STORE, "readonly"), store = tx.objectStore(STORE);
      spots.forEach(function (el) {
        var get = store.get(el.getAttribute("data-lab-progress"));
        get.onsuccess = function () {
          var state = null;
          try { state = get.result ? JSON.parse(get.result) : null; } catch (err) { state = null; }
          var p = state && state.progress ? state.progress : "not started";
          el.textContent = p;
          el.className = "progress " + p.replace(" ", "-");
        };
      });
    };
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", progress);
  else progress();
})();
