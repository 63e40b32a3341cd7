// The queue of taps not yet confirmed by the server, over an injected store (IndexedDB in the
// browser, memory in the unit tests). Each tap names the user who made it (queued_by) and is only
// ever sent under that user's session.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EktpQueue = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // A result the server gives for a tap that belongs to another user: kept for its owner.
  const KEEP_CODES = new Set(["other_user"]);

  function memoryStore(initial) {
    const items = new Map();
    (initial || []).forEach((a) => items.set(a.client_id, a));
    return {
      all: async () => Array.from(items.values()),
      put: async (item) => {
        items.set(item.client_id, item);
      },
      remove: async (ids) => {
        ids.forEach((id) => items.delete(id));
      },
    };
  }

  function byTapTime(a, b) {
    return a.tapped_at - b.tapped_at || (a.seq || 0) - (b.seq || 0);
  }

  function ownedBy(items, userId) {
    const user = Number(userId);
    return items.filter((a) => Number(a.queued_by) === user && user > 0).sort(byTapTime);
  }

  function createQueue(store) {
    let seq = 0;
    return {
      async add(action) {
        if (!action.client_id || !(Number(action.queued_by) > 0) || !(action.tapped_at > 0)) {
          throw new Error("A queued tap needs client_id, queued_by and tapped_at");
        }
        seq += 1;
        await store.put(Object.assign({ seq: seq }, action));
      },
      remove: (ids) => (ids.length ? store.remove(ids) : Promise.resolve()),
      all: () => store.all(),
      async mine(userId) {
        return ownedBy(await store.all(), userId);
      },
    };
  }

  // The items of one sync request, in the shape /kunjungan/sinkron/ reads (times in ms).
  function batch(items, now) {
    return items.map((a) => ({
      client_id: a.client_id,
      queued_by: Number(a.queued_by),
      visit: a.visit,
      student: a.student,
      outcome: a.outcome,
      reason: a.reason || "",
      tapped_at: a.tapped_at,
      sent_at: now,
    }));
  }

  // Client ids the server has settled (stored, duplicate, superseded or refused for good).
  function settled(results) {
    return (results || [])
      .filter((r) => r && r.client_id && !(r.status === "rejected" && KEEP_CODES.has(r.code)))
      .map((r) => r.client_id);
  }

  function rejectedMessages(results) {
    return (results || [])
      .filter((r) => r && r.status === "rejected" && !KEEP_CODES.has(r.code))
      .map((r) => r.message || "");
  }

  // How many are unsent, since when, and whether that is long enough to warn.
  function status(items, now, warnAfterMs) {
    const oldest = items.reduce((min, a) => (min === null || a.tapped_at < min ? a.tapped_at : min), null);
    return {
      count: items.length,
      oldest: oldest,
      stale: oldest !== null && warnAfterMs > 0 && now - oldest >= warnAfterMs,
    };
  }

  // Items of the queue kept in localStorage by earlier versions of the page, in today's shape.
  function fromLegacy(raw) {
    let list;
    try {
      list = JSON.parse(raw || "[]");
    } catch (e) {
      return [];
    }
    if (!Array.isArray(list)) {
      return [];
    }
    return list
      .filter((a) => a && a.client_id && (a.queued_by || a.user))
      .map((a) => {
        const item = Object.assign({}, a, { queued_by: Number(a.queued_by || a.user) });
        delete item.user;
        return item;
      })
      .filter((a) => a.queued_by > 0 && a.tapped_at > 0);
  }

  return { memoryStore, createQueue, ownedBy, batch, settled, rejectedMessages, status, fromLegacy };
});
