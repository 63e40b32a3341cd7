// The visit's tallies and rows as the operator should see them: the server's counts with the
// taps still in the queue applied on top (the latest tap per student wins, as on the server).
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EktpTally = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const NONE = "none";

  function shownOutcome(action) {
    return action.outcome === "undo" ? NONE : action.outcome;
  }

  // student id -> the latest queued tap for this visit.
  function latestByStudent(items, visitId) {
    const latest = new Map();
    items
      .filter((a) => Number(a.visit) === Number(visitId))
      .forEach((a) => {
        const seen = latest.get(a.student);
        if (!seen || a.tapped_at >= seen.tapped_at) {
          latest.set(a.student, a);
        }
      });
    return latest;
  }

  // base: {outcome: n, none: n} from the server; serverOutcome: student id -> outcome ("none" if
  // unmarked) as the server last said. Students not on the page are left out (not known here).
  function withQueued(base, serverOutcome, items, visitId) {
    const counts = Object.assign({}, base);
    latestByStudent(items, visitId).forEach((action, student) => {
      const from = serverOutcome[student];
      if (from === undefined) {
        return;
      }
      const to = shownOutcome(action);
      if (from === to) {
        return;
      }
      counts[from] = Math.max((counts[from] || 0) - 1, 0);
      counts[to] = (counts[to] || 0) + 1;
    });
    return counts;
  }

  // "2.100": the numbers on the page use Indonesian thousands separators.
  function parseCount(text) {
    const n = parseInt(String(text || "").replace(/[^0-9]/g, ""), 10);
    return Number.isFinite(n) ? n : 0;
  }

  function formatCount(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  return { NONE, shownOutcome, latestByStudent, withQueued, parseCount, formatCount };
});
