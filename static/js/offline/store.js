// IndexedDB for the offline parts: the queue of taps, the list of offline copies of visit pages,
// and the signed-in user (so the service worker sends only that user's taps). Page and service
// worker both use it.
(function (root, factory) {
  root.EktpStore = factory(root.EktpQueue);
})(self, function (Queue) {
  "use strict";

  const DB_NAME = "ektp-offline";
  const DB_VERSION = 1;
  const STORES = { queue: "client_id", copies: "url", meta: "key" };
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          Object.keys(STORES).forEach((name) => {
            if (!db.objectStoreNames.contains(name)) {
              db.createObjectStore(name, { keyPath: STORES[name] });
            }
          });
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => {
            db.close();
            opening = null;
          };
          resolve(db);
        };
        request.onerror = () => {
          opening = null;
          reject(request.error);
        };
      });
    }
    return opening;
  }

  // Resolves when the transaction has committed (a queued tap is on disk before it is sent).
  async function run(name, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode, { durability: mode === "readwrite" ? "strict" : "default" });
      let result;
      const request = work(tx.objectStore(name));
      if (request) {
        request.onsuccess = () => {
          result = request.result;
        };
      }
      tx.oncomplete = () => resolve(result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  function store(name) {
    return {
      all: () => run(name, "readonly", (s) => s.getAll()),
      get: (key) => run(name, "readonly", (s) => s.get(key)),
      put: (item) => run(name, "readwrite", (s) => s.put(item)),
      remove: (keys) =>
        run(name, "readwrite", (s) => {
          keys.forEach((k) => s.delete(k));
        }),
      clear: () => run(name, "readwrite", (s) => s.clear()),
    };
  }

  const queue = store("queue");
  const copies = store("copies");
  const meta = store("meta");

  // Move a queue kept in localStorage by the page's earlier versions into IndexedDB.
  async function migrateLegacy(storage, key) {
    let raw = null;
    try {
      raw = storage.getItem(key);
    } catch (e) {
      return 0;
    }
    if (!raw) {
      return 0;
    }
    const items = Queue.fromLegacy(raw);
    for (const item of items) {
      if (!(await queue.get(item.client_id))) {
        await queue.put(item);
      }
    }
    storage.removeItem(key);
    return items.length;
  }

  return { open, store, queue, copies, meta, migrateLegacy };
});
