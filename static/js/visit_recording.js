// Visit page: search and filter in the page, one-tap outcomes through HTMX, and the offline queue.
//
// Every tap gets an id made here (client_id), the time of the tap and the user who made it
// (queued_by), and is kept in IndexedDB (static/js/offline/queue.js) until the server has
// confirmed it. Offline, the tap stays queued ("belum terkirim: N", counted in the tallies) and is
// sent when the connection returns, by this page or by the service worker (Background Sync).
(function () {
  "use strict";

  const LEGACY_KEY = "ektp-visit-queue-v1";
  const RETRY_MS = 15000;
  const SYNC_TAG = "ektp-queue";
  const Queue = window.EktpQueue;
  const Tally = window.EktpTally;
  const Drain = window.EktpDrain;

  const root = document.getElementById("visit-page");

  function text(name) {
    const key = "text" + name.charAt(0).toUpperCase() + name.slice(1);
    return (root && root.dataset[key]) || "";
  }
  function showNotice(message, kind) {
    const box = document.getElementById("visit-notice");
    if (!box) {
      return;
    }
    box.textContent = "";
    if (!message) {
      return;
    }
    const div = document.createElement("div");
    div.className = "alert alert-" + (kind || "info") + " py-2";
    div.setAttribute("role", "alert");
    div.textContent = message;
    box.appendChild(div);
  }

  // --- Small behaviours for the visit pages (no inline scripts: the CSP forbids them) -----
  let pending = []; // this user's queued taps, as in IndexedDB
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.classList && form.classList.contains("js-finish-form") && pending.length > 0) {
      event.preventDefault();
      showNotice(text("unsentFinish"), "warning");
      return;
    }
    if (form.classList && form.classList.contains("js-needs-connection") && !navigator.onLine) {
      event.preventDefault();
      showNotice(text("needsConnection"), "warning");
      return;
    }
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".js-print");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.querySelectorAll(".js-hidden").forEach((el) => {
    el.hidden = true;
  });

  if (!root || !Queue || !Tally || !Drain || !window.EktpStore) {
    return;
  }
  const userId = Number(root.dataset.user);
  const visitId = Number(root.dataset.visit);
  const recording = root.dataset.recording === "1";
  const copiedAt = Number(root.dataset.offlineCopy || 0); // set by the service worker on a copy
  const warnAfterMs = Number(root.dataset.warnAfterMs || 0);
  let labels = {};
  try {
    labels = JSON.parse(root.dataset.labels || "{}");
  } catch (e) {
    labels = {};
  }
  const SETTLED = { recorded: true, already_recorded: true, not_eligible: true };
  const queue = Queue.createQueue(window.EktpStore.queue);
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("ektp-queue") : null;
  const inflight = {}; // client ids of HTMX requests running in this page
  let flushing = false;
  let retryTimer = null;
  let refreshWanted = false;
  let lastTap = null; // to give the keyboard focus back after the row is replaced

  // --- Queue -------------------------------------------------------------------------------
  // Read the queue again (another tab or the service worker may have sent taps); when some
  // went, the server's rows and tallies are fetched so the page shows what was stored.
  async function reloadPending() {
    const before = new Set(pending.map((a) => a.client_id));
    pending = await queue.mine(userId);
    updateCounter();
    markPendingRows();
    updateTallies();
    const now = new Set(pending.map((a) => a.client_id));
    if (Array.from(before).some((id) => !now.has(id) && !inflight[id])) {
      refreshRoster();
    }
  }
  function enqueue(action) {
    pending.push(action);
    queue.add(action).catch((e) => showNotice(e.message, "danger"));
    updateCounter();
    updateTallies();
  }
  function dequeue(ids) {
    if (!ids.length) {
      return;
    }
    const drop = new Set(ids);
    pending = pending.filter((a) => !drop.has(a.client_id));
    queue.remove(ids).then(() => channel && channel.postMessage("changed"));
    updateCounter();
    updateTallies();
  }
  function askBackgroundSync() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) {
      return;
    }
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register(SYNC_TAG))
      .catch(() => null); // without Background Sync the page's own retry sends them
  }
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs https; getRandomValues works on plain http too.
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => (x + 0x100).toString(16).slice(1)).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- What the operator sees ----------------------------------------------------------------
  function updateCounter() {
    const el = document.getElementById("unsent");
    if (el) {
      const n = pending.length;
      el.textContent = text("unsent").replace("%s", String(n));
      el.classList.toggle("text-bg-warning", n > 0);
      el.classList.toggle("text-bg-success", n === 0);
    }
    updateBanner();
  }
  function updateBanner() {
    const banner = document.getElementById("offline-banner");
    if (!banner) {
      return;
    }
    const state = Queue.status(pending, Date.now(), warnAfterMs);
    let message = "";
    if (state.stale) {
      message = text("stale").replace("%s", window.EktpCopies.clock(state.oldest));
    } else if (copiedAt) {
      message = text("copy").replace("%s", window.EktpCopies.clock(copiedAt));
    }
    banner.textContent = message;
    banner.hidden = !message;
    banner.className = "alert py-2 " + (state.stale ? "alert-warning" : "alert-info");
  }
  function updateOnlineNote() {
    const note = document.getElementById("offline-note");
    if (note) {
      note.hidden = navigator.onLine;
      note.textContent = navigator.onLine ? "" : text("offline");
    }
  }
  function updateTallies() {
    const cells = document.querySelectorAll("#visit-tallies [data-tally]");
    const base = {};
    cells.forEach((el) => {
      base[el.dataset.tally] = Number(el.dataset.base || Tally.parseCount(el.textContent));
    });
    const server = {};
    document.querySelectorAll("#roster .roster-item").forEach((li) => {
      server[Number(li.dataset.student)] = li.dataset.serverOutcome || Tally.NONE;
    });
    const counts = Tally.withQueued(base, server, pending, visitId);
    cells.forEach((el) => {
      el.textContent = Tally.formatCount(counts[el.dataset.tally] || 0);
    });
  }
  function markRow(action) {
    const li = document.getElementById("student-" + action.student);
    if (!li || Number(action.visit) !== visitId) {
      return;
    }
    const outcome = action.outcome === "undo" ? "" : action.outcome;
    li.dataset.outcome = outcome || "none";
    li.dataset.remaining = SETTLED[outcome] ? "0" : "1";
    const badge = li.querySelector(".outcome-badge");
    if (badge) {
      badge.textContent = outcome ? labels[outcome] || outcome : text("notMarked");
      badge.className = "badge outcome-badge text-bg-light border";
    }
    const mark = li.querySelector(".pending-badge");
    if (mark) {
      mark.hidden = false;
    }
    const by = li.querySelector(".recorded-by");
    if (by) {
      by.hidden = true;
    }
    li.querySelectorAll(".outcome-form button[name=outcome]").forEach((button) => {
      const style = button.dataset.style;
      const on = button.value === outcome;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (style) {
        button.classList.toggle("btn-" + style, on);
        button.classList.toggle("btn-outline-" + style, !on);
      }
    });
    const undo = li.querySelector(".undo-button");
    if (undo) {
      undo.hidden = !outcome;
    }
  }
  function markPendingRows() {
    Tally.latestByStudent(pending, visitId).forEach(markRow);
  }

  // --- Search and filters, in the page (they work offline too) -------------------------------
  const qInput = document.getElementById("roster-q");
  const classSelect = document.getElementById("roster-class");
  const outcomeSelect = document.getElementById("roster-outcome");
  const filterForm = document.getElementById("roster-filters");

  function normalise(value) {
    return (value || "").toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }
  function applyFilter() {
    const q = normalise(qInput && qInput.value);
    const current = document.getElementById("roster");
    if (current && current.dataset.filtered === "1" && navigator.onLine) {
      refreshRoster(); // the list was narrowed by the server: get it whole again, then filter here
      return;
    }
    const words = q ? q.split(" ") : [];
    const cls = classSelect ? classSelect.value : "";
    const out = outcomeSelect ? outcomeSelect.value : "";
    let shown = 0;
    document.querySelectorAll("#roster .roster-item").forEach((li) => {
      let ok = words.every((w) => li.dataset.search.indexOf(w) !== -1);
      if (ok && cls && li.dataset.class !== cls) {
        ok = false;
      }
      if (ok && out === "remaining") {
        ok = li.dataset.remaining === "1";
      } else if (ok && out) {
        ok = li.dataset.outcome === out;
      }
      li.hidden = !ok;
      if (ok) {
        shown += 1;
      }
    });
    const count = document.getElementById("roster-count");
    if (count) {
      count.textContent = text("shown").replace("%s", String(shown));
    }
  }
  if (filterForm) {
    filterForm.addEventListener("submit", (event) => {
      event.preventDefault();
      applyFilter();
    });
    filterForm.addEventListener("input", applyFilter);
    filterForm.addEventListener("change", applyFilter);
  }

  function refreshRoster() {
    if (Object.keys(inflight).length) {
      refreshWanted = true; // after the running taps come back
      return;
    }
    if (!navigator.onLine || !window.htmx) {
      return;
    }
    // The whole list, without filters: search terms stay in the page, never in a URL.
    window.htmx.ajax("GET", root.dataset.rosterUrl, { target: "#roster", swap: "outerHTML" });
  }
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "roster") {
      markPendingRows();
      const roster = document.getElementById("roster");
      if (!roster || roster.dataset.filtered !== "1") {
        applyFilter();
      }
    }
    updateTallies();
  });

  // --- One tap -----------------------------------------------------------------------------------
  document.body.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("outcome-form")) {
      return;
    }
    const data = event.detail.formData;
    const outcome = data.get("outcome");
    const reason = (data.get("reason") || "").trim();
    if (outcome === "not_eligible" && !reason) {
      event.preventDefault();
      const input = form.querySelector("input[name=reason]");
      if (input) {
        input.focus();
      }
      showNotice(text("reason"), "warning");
      return;
    }
    const action = {
      client_id: newId(),
      queued_by: userId,
      visit: visitId,
      student: Number(data.get("student")),
      outcome: outcome,
      reason: outcome === "not_eligible" ? reason : "",
      tapped_at: Date.now(),
    };
    enqueue(action); // kept until the server confirms it, even if the page is closed
    markRow(action);
    updateTallies();
    if (!navigator.onLine) {
      event.preventDefault();
      updateOnlineNote();
      askBackgroundSync();
      return;
    }
    inflight[action.client_id] = true;
    form.dataset.clientId = action.client_id;
    lastTap = { student: action.student, outcome: outcome };
    data.set("client_id", action.client_id);
    data.set("tapped_at", String(action.tapped_at));
    data.set("sent_at", String(Date.now()));
    showNotice("");
  });

  document.body.addEventListener("htmx:afterRequest", (event) => {
    // When the swap removed the form, htmx re-fires this event on an ancestor still in the page
    // and detail.elt names that ancestor; requestConfig.elt is still the form that asked.
    const config = event.detail.requestConfig || {};
    const form = config.elt || event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("outcome-form")) {
      return;
    }
    const id = form.dataset.clientId;
    if (!id) {
      return;
    }
    delete form.dataset.clientId;
    delete inflight[id];
    const xhr = event.detail.xhr;
    const status = xhr ? xhr.status : 0;
    if (event.detail.successful) {
      dequeue([id]);
      flushSoon(0); // the connection works: send anything left from before
    } else if (status === 401) {
      showNotice(text("session"), "danger");
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      dequeue([id]); // refused for good (e.g. the visit was finished): show why and undo the mark
      showNotice(xhr.responseText, "danger");
      refreshWanted = true;
    } else {
      askBackgroundSync();
      flushSoon(RETRY_MS); // no connection or a server error: it stays in the queue
    }
    if (refreshWanted && !Object.keys(inflight).length) {
      refreshWanted = false;
      refreshRoster();
    }
  });

  // The answer replaces the student's row; put the focus back on the same button.
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (!lastTap || !event.target || event.target.id !== "student-" + lastTap.student) {
      return;
    }
    if (document.activeElement === document.body || !document.body.contains(document.activeElement)) {
      const button = event.target.querySelector('button[name=outcome][value="' + lastTap.outcome + '"]');
      if (button) {
        button.focus();
      }
    }
    lastTap = null;
  });

  // --- Sending what was kept -------------------------------------------------------------------
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }
  function flushSoon(delay) {
    if (retryTimer) {
      window.clearTimeout(retryTimer);
    }
    retryTimer = window.setTimeout(() => {
      retryTimer = null;
      flush();
    }, delay);
  }
  async function flush() {
    if (flushing || !navigator.onLine || !pending.length) {
      return;
    }
    flushing = true;
    const post = Drain.poster(window.fetch.bind(window), root.dataset.syncUrl, csrfToken());
    try {
      const report = await Drain.exclusive(() =>
        Drain.drain({ queue: queue, userId: userId, post: post, skip: Object.keys(inflight) })
      );
      if (report.rejected.length) {
        showNotice(text("rejected") + " " + report.rejected.join(" "), "danger");
      }
      await reloadPending();
      if (channel && report.requests) {
        channel.postMessage("changed");
      }
    } catch (error) {
      if (error instanceof Drain.SessionEnded) {
        showNotice(text("session"), "danger");
      }
      await reloadPending();
      flushSoon(RETRY_MS);
    } finally {
      flushing = false;
    }
  }

  window.addEventListener("online", () => {
    updateOnlineNote();
    flushSoon(0);
  });
  window.addEventListener("offline", updateOnlineNote);
  if (channel) {
    channel.onmessage = () => reloadPending(); // another tab or the service worker sent or kept taps
  }

  // --- Start -------------------------------------------------------------------------------------
  updateOnlineNote();
  const roster = document.getElementById("roster");
  if (roster && roster.dataset.filtered === "1" && window.htmx && navigator.onLine) {
    refreshRoster(); // the page was opened with server-side filters: load the whole list, filter here
  } else {
    applyFilter();
  }
  const copies = window.EktpOffline && window.EktpOffline.copies;
  const finished = ["done", "cancelled", "postponed"].indexOf(root.dataset.status) !== -1;
  if (copies && !copiedAt && finished) {
    copies.drop([window.location.pathname]); // a finished visit needs no offline copy
  } else if (copies && !copiedAt && root.dataset.copyable === "1" && navigator.onLine) {
    // Opened online without being prepared first: keep it too (the service worker refreshes it later).
    const path = root.dataset.rosterUrl;
    copies.list().then((list) => {
      if (!list.some((c) => c.url === path)) {
        copies.prepare([{ url: path, visit: visitId, school: root.dataset.school, date: root.dataset.date }], userId);
      }
    });
  }
  window.EktpStore.migrateLegacy(window.localStorage, LEGACY_KEY)
    .catch(() => 0)
    .then(reloadPending)
    .then(() => {
      applyFilter();
      if (recording || pending.length) {
        flushSoon(0);
        window.setInterval(() => {
          updateBanner();
          if (pending.length) {
            flush();
          }
        }, RETRY_MS);
      }
    });
})();
