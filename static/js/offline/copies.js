// Offline copies of visit pages in Cache Storage, with their list (who, which visit, when copied)
// in IndexedDB. Only responses marked "Cache-Control: private" without "no-store" are kept.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EktpCopies = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const PREFIX = "ektp-visits-";

  function cacheName(version) {
    return PREFIX + version;
  }

  function cacheable(response) {
    if (!response || !response.ok || response.redirected || response.type === "opaqueredirect") {
      return false;
    }
    const header = (response.headers.get("Cache-Control") || "").toLowerCase();
    return header.includes("private") && !header.includes("no-store");
  }

  // Copies to delete: older than maxAgeMs, or made for another user than the one signed in.
  function expired(list, { now, maxAgeMs, userId }) {
    return list.filter((c) => now - c.copied_at > maxAgeMs || Number(c.user) !== Number(userId || 0));
  }

  // "07.12", as people in Batanghari read the time.
  function clock(ms) {
    return new Intl.DateTimeFormat("id-ID", {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: "Asia/Jakarta",
    })
      .format(new Date(ms))
      .replace(":", ".");
  }

  function create({ caches, store, version, fetchFn }) {
    const name = cacheName(version);
    const api = {
      name: name,
      async save(path, response, info) {
        const cache = await caches.open(name);
        await cache.put(path, response);
        const entry = Object.assign({ url: path, copied_at: Date.now() }, info);
        await store.put(entry);
        return entry;
      },
      // list: [{url, visit, school, date}]; returns the saved entries (null where it failed).
      async prepare(list, userId) {
        const saved = [];
        for (const visit of list) {
          try {
            const response = await fetchFn(visit.url, { credentials: "same-origin" });
            if (cacheable(response)) {
              saved.push(
                await api.save(visit.url, response, {
                  visit: visit.visit,
                  school: visit.school,
                  date: visit.date,
                  user: Number(userId),
                })
              );
            } else {
              await api.drop([visit.url]);
              saved.push(null);
            }
          } catch (e) {
            saved.push(null);
          }
        }
        return saved;
      },
      async match(path) {
        const entry = await store.get(path);
        if (!entry) {
          return null;
        }
        const cache = await caches.open(name);
        const response = await cache.match(path, { ignoreSearch: true });
        return response ? { entry: entry, response: response } : null;
      },
      async drop(paths) {
        if (!paths.length) {
          return;
        }
        const cache = await caches.open(name);
        await Promise.all(paths.map((p) => cache.delete(p, { ignoreSearch: true })));
        await store.remove(paths);
      },
      async dropAll() {
        const keys = await caches.keys();
        await Promise.all(keys.filter((k) => k.startsWith(PREFIX)).map((k) => caches.delete(k)));
        await store.clear();
      },
      async purge(rule) {
        const old = expired(await store.all(), rule);
        await api.drop(old.map((c) => c.url));
        return old;
      },
      list: () => store.all(),
    };
    return api;
  }

  return { PREFIX, cacheName, cacheable, expired, clock, create };
});
