// Sending the queue to /kunjungan/sinkron/ in batches, under the signed-in user only. Shared by
// the visit page (its own retry) and the service worker (Background Sync, with the tab closed).
(function (root, factory) {
  const api = factory(root.EktpQueue || (typeof require === "function" ? require("./queue.js") : null));
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EktpDrain = api;
  }
})(typeof self !== "undefined" ? self : this, function (Queue) {
  "use strict";

  const BATCH = 150;
  const PARALLEL = 3;

  class SessionEnded extends Error {}

  // post(body) -> Promise<{status, data}>: one sync request through the given fetch.
  function poster(fetchFn, url, csrfToken) {
    return async (body) => {
      const response = await fetchFn(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken || "" },
        body: JSON.stringify(body),
      });
      let data = null;
      if (response.ok) {
        data = await response.json();
      }
      return { status: response.status, data: data };
    };
  }

  // Send every tap of ``userId`` (except ids in ``skip``), up to PARALLEL requests of BATCH at
  // once (the server orders taps by tap time and applies each client id once, so the order of
  // arrival does not matter), until none is left. Throws on a lost connection or server error
  // after settling what was answered (the caller retries later); SessionEnded on 401/403.
  async function drain({ queue, userId, post, skip, now, batchSize, parallel }) {
    const size = batchSize || BATCH;
    const lanes = parallel || PARALLEL;
    const clock = now || Date.now;
    const tried = new Set(skip || []);
    const report = { requests: 0, settled: 0, rejected: [] };
    for (;;) {
      const items = (await queue.mine(userId)).filter((a) => !tried.has(a.client_id));
      if (!items.length) {
        return report;
      }
      const chunks = [];
      for (let i = 0; i < items.length && chunks.length < lanes; i += size) {
        chunks.push(items.slice(i, i + size));
      }
      chunks.flat().forEach((a) => tried.add(a.client_id));
      const answers = await Promise.allSettled(chunks.map((chunk) => post({ actions: Queue.batch(chunk, clock()) })));
      report.requests += chunks.length;
      let failure = null;
      for (const outcome of answers) {
        const answer = outcome.value;
        if (outcome.status === "rejected") {
          failure = failure || outcome.reason;
        } else if (answer.status === 401 || answer.status === 403) {
          failure = new SessionEnded("session");
        } else if (answer.status < 200 || answer.status >= 300 || !answer.data) {
          failure = failure || new Error("HTTP " + answer.status);
        } else {
          const done = Queue.settled(answer.data.results);
          await queue.remove(done);
          report.settled += done.length;
          report.rejected.push(...Queue.rejectedMessages(answer.data.results));
        }
      }
      if (failure) {
        throw failure;
      }
    }
  }

  // One drain at a time across the tabs and the service worker (Web Locks where available).
  function exclusive(fn) {
    const locks = typeof navigator !== "undefined" && navigator.locks;
    if (locks && typeof locks.request === "function") {
      return locks.request("ektp-queue-drain", fn);
    }
    return fn();
  }

  return { BATCH, PARALLEL, SessionEnded, poster, drain, exclusive };
});
