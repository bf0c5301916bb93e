"""Per-lab state that survives a reload and a browser restart.

In the browser a marimo lab's Python runs in a web worker, which has no ``localStorage`` but does
have IndexedDB. The store is one IndexedDB database, ``mlsysim-labs``, with one object store,
``labs``: key = lab id (or ``"student"`` for the id a student enters once for every lab), value =
JSON text. The site's index page reads the same store to show each lab's progress.

Under plain Python (``marimo edit``, tests) the same interface keeps the state in memory.
"""

from __future__ import annotations

import json
import sys

DB_NAME = "mlsysim-labs"
STORE_NAME = "labs"
STUDENT_KEY = "student"

# Promise-returning get/put/remove over IndexedDB (runs in the worker's JS scope).
IDB_JS = """(() => {
  const DB = %s, STORE = %s;
  let opened = null;
  const db = () => opened || (opened = new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  }));
  const run = (mode, fn) => db().then(d => new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req.result === undefined ? null : req.result);
    t.onerror = () => reject(t.error);
  }));
  return {
    get: (k) => run("readonly", s => s.get(k)),
    put: (k, v) => run("readwrite", s => s.put(v, k)),
    remove: (k) => run("readwrite", s => s.delete(k)),
  };
})()""" % (json.dumps(DB_NAME), json.dumps(STORE_NAME))

IN_BROWSER = sys.platform == "emscripten"


class MemoryStore:
    """The same interface as the browser's store, in a dict (plain Python)."""

    kind = "memory"

    def __init__(self):
        self.data: dict[str, str] = {}

    async def get(self, key: str):
        text = self.data.get(key)
        return json.loads(text) if text else None

    def put(self, key: str, value) -> None:
        self.data[key] = json.dumps(value)

    def remove(self, key: str) -> None:
        self.data.pop(key, None)


class BrowserStore:
    """IndexedDB from the worker. ``put`` and ``remove`` do not wait: IndexedDB runs read-write
    transactions on one store in the order they were created, so the last write wins."""

    kind = "indexeddb"

    def __init__(self):
        from pyodide.code import run_js  # exists only in Pyodide (the reason for a local import)

        self._js = run_js(IDB_JS)

    async def get(self, key: str):
        text = await self._js.get(key)
        return json.loads(text) if text else None

    def put(self, key: str, value) -> None:
        self._js.put(key, json.dumps(value))

    def remove(self, key: str) -> None:
        self._js.remove(key)


_store = None


def default_store():
    """One store per process: IndexedDB in the browser, memory elsewhere."""
    global _store
    if _store is None:
        _store = BrowserStore() if IN_BROWSER else MemoryStore()
    return _store
