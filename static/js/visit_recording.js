// Visit page: search and filter in the page, one-tap outcomes through HTMX, and an offline queue.
//
// Every tap gets an id made here (client_id) and the time of the tap, and is kept in
// localStorage until the server has confirmed it. When the connection drops the tap stays in
// the queue ("belum terkirim: N") and is sent when the connection returns; the server applies
// each client_id once and decides between two changes by their tap times.
(function () {
  "use strict";

  var QUEUE_KEY = "ektp-visit-queue-v1";
  var RETRY_MS = 15000;
  var BATCH = 200;

  // --- Small behaviours for the visit pages (no inline scripts: the CSP forbids them) -----
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("js-finish-form") && unsentCount() > 0) {
      event.preventDefault();
      showNotice(text("unsentFinish"), "warning");
      return;
    }
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".js-print");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
  document.querySelectorAll(".js-hidden").forEach(function (el) {
    el.hidden = true;
  });

  var root = document.getElementById("visit-page");
  if (!root) {
    return;
  }
  var userId = root.dataset.user;
  var visitId = Number(root.dataset.visit);
  var recording = root.dataset.recording === "1";
  var labels = {};
  try {
    labels = JSON.parse(root.dataset.labels || "{}");
  } catch (e) {
    labels = {};
  }
  var SETTLED = { recorded: true, already_recorded: true, not_eligible: true };
  var inflight = {}; // client ids of HTMX requests running in this page
  var flushing = false;
  var retryTimer = null;
  var refreshWanted = false;
  var lastTap = null; // to give the keyboard focus back after the row is replaced

  function text(name) {
    var key = "text" + name.charAt(0).toUpperCase() + name.slice(1);
    return root.dataset[key] || "";
  }

  // --- Queue -------------------------------------------------------------------------------
  function loadQueue() {
    try {
      var queue = JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (e) {
      return [];
    }
  }
  function saveQueue(queue) {
    try {
      window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    } catch (e) {
      showNotice(e.message, "danger");
    }
  }
  function myQueue() {
    return loadQueue().filter(function (a) {
      return a.user === userId;
    });
  }
  function unsentCount() {
    return myQueue().length;
  }
  function enqueue(action) {
    var queue = loadQueue();
    queue.push(action);
    saveQueue(queue);
    updateCounter();
  }
  function dequeue(ids) {
    if (!ids.length) {
      return;
    }
    var drop = {};
    ids.forEach(function (id) {
      drop[id] = true;
    });
    saveQueue(
      loadQueue().filter(function (a) {
        return !drop[a.client_id];
      })
    );
    updateCounter();
  }
  function newId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs https; getRandomValues works on plain http too.
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map
      .call(b, function (x) {
        return (x + 0x100).toString(16).slice(1);
      })
      .join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- What the operator sees ----------------------------------------------------------------
  function updateCounter() {
    var el = document.getElementById("unsent");
    if (!el) {
      return;
    }
    var n = unsentCount();
    el.textContent = text("unsent").replace("%s", String(n));
    el.classList.toggle("text-bg-warning", n > 0);
    el.classList.toggle("text-bg-success", n === 0);
  }
  function updateOnlineNote() {
    var note = document.getElementById("offline-note");
    if (note) {
      note.hidden = navigator.onLine;
      note.textContent = navigator.onLine ? "" : text("offline");
    }
  }
  function showNotice(message, kind) {
    var box = document.getElementById("visit-notice");
    if (!box) {
      return;
    }
    box.textContent = "";
    if (!message) {
      return;
    }
    var div = document.createElement("div");
    div.className = "alert alert-" + (kind || "info") + " py-2";
    div.setAttribute("role", "alert");
    div.textContent = message;
    box.appendChild(div);
  }
  function markRow(action) {
    var li = document.getElementById("student-" + action.student);
    if (!li || Number(action.visit) !== visitId) {
      return;
    }
    var outcome = action.outcome === "undo" ? "" : action.outcome;
    li.dataset.outcome = outcome || "none";
    li.dataset.remaining = SETTLED[outcome] ? "0" : "1";
    var badge = li.querySelector(".outcome-badge");
    if (badge) {
      badge.textContent = outcome ? labels[outcome] || outcome : text("notMarked");
      badge.className = "badge outcome-badge text-bg-light border";
    }
    var pending = li.querySelector(".pending-badge");
    if (pending) {
      pending.hidden = false;
    }
    var by = li.querySelector(".recorded-by");
    if (by) {
      by.hidden = true;
    }
    li.querySelectorAll(".outcome-form button[name=outcome]").forEach(function (button) {
      var style = button.dataset.style;
      var on = button.value === outcome;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (style) {
        button.classList.toggle("btn-" + style, on);
        button.classList.toggle("btn-outline-" + style, !on);
      }
    });
    var undo = li.querySelector(".undo-button");
    if (undo) {
      undo.hidden = !outcome;
    }
  }
  function markPendingRows() {
    myQueue().forEach(markRow);
  }

  // --- Search and filters, in the page (they work offline too) -------------------------------
  var qInput = document.getElementById("roster-q");
  var classSelect = document.getElementById("roster-class");
  var outcomeSelect = document.getElementById("roster-outcome");
  var filterForm = document.getElementById("roster-filters");

  function normalise(value) {
    return (value || "").toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }
  function applyFilter() {
    var q = normalise(qInput && qInput.value);
    var current = document.getElementById("roster");
    if (current && current.dataset.filtered === "1" && navigator.onLine) {
      refreshRoster(); // the list was narrowed by the server: get it whole again, then filter here
      return;
    }
    var words = q ? q.split(" ") : [];
    var cls = classSelect ? classSelect.value : "";
    var out = outcomeSelect ? outcomeSelect.value : "";
    var shown = 0;
    document.querySelectorAll("#roster .roster-item").forEach(function (li) {
      var ok = words.every(function (w) {
        return li.dataset.search.indexOf(w) !== -1;
      });
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
    var count = document.getElementById("roster-count");
    if (count) {
      count.textContent = text("shown").replace("%s", String(shown));
    }
  }
  if (filterForm) {
    filterForm.addEventListener("submit", function (event) {
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
    // The whole list, without filters: search terms stay in the page, never in a URL.
    window.htmx.ajax("GET", root.dataset.rosterUrl, { target: "#roster", swap: "outerHTML" });
  }
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "roster") {
      markPendingRows();
      var roster = document.getElementById("roster");
      if (!roster || roster.dataset.filtered !== "1") {
        applyFilter();
      }
    }
  });

  // --- One tap -----------------------------------------------------------------------------------
  document.body.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.classList || !form.classList.contains("outcome-form")) {
      return;
    }
    var data = event.detail.formData;
    var outcome = data.get("outcome");
    var reason = (data.get("reason") || "").trim();
    if (outcome === "not_eligible" && !reason) {
      event.preventDefault();
      var input = form.querySelector("input[name=reason]");
      if (input) {
        input.focus();
      }
      showNotice(text("reason"), "warning");
      return;
    }
    var action = {
      client_id: newId(),
      user: userId,
      visit: visitId,
      student: Number(data.get("student")),
      outcome: outcome,
      reason: outcome === "not_eligible" ? reason : "",
      tapped_at: Date.now(),
    };
    enqueue(action); // kept until the server confirms it, even if the page is closed
    markRow(action);
    if (!navigator.onLine) {
      event.preventDefault();
      updateOnlineNote();
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

  document.body.addEventListener("htmx:afterRequest", function (event) {
    // When the swap removed the form, htmx re-fires this event on an ancestor still in the page
    // and detail.elt names that ancestor; requestConfig.elt is still the form that asked.
    var config = event.detail.requestConfig || {};
    var form = config.elt || event.detail.elt;
    if (!form || !form.classList || !form.classList.contains("outcome-form")) {
      return;
    }
    var id = form.dataset.clientId;
    if (!id) {
      return;
    }
    delete form.dataset.clientId;
    delete inflight[id];
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
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
      flushSoon(RETRY_MS); // no connection or a server error: it stays in the queue
    }
    if (refreshWanted && !Object.keys(inflight).length) {
      refreshWanted = false;
      refreshRoster();
    }
  });

  // The answer replaces the student's row; put the focus back on the same button.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!lastTap || !event.target || event.target.id !== "student-" + lastTap.student) {
      return;
    }
    if (document.activeElement === document.body || !document.body.contains(document.activeElement)) {
      var button = event.target.querySelector('button[name=outcome][value="' + lastTap.outcome + '"]');
      if (button) {
        button.focus();
      }
    }
    lastTap = null;
  });

  // --- Sending what was kept -------------------------------------------------------------------
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
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
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, delay);
  }
  function flush() {
    if (flushing || !navigator.onLine) {
      return;
    }
    var items = myQueue().filter(function (a) {
      return !inflight[a.client_id];
    });
    if (!items.length) {
      return;
    }
    flushing = true;
    var now = Date.now();
    var batch = items.slice(0, BATCH).map(function (a) {
      return {
        client_id: a.client_id,
        visit: a.visit,
        student: a.student,
        outcome: a.outcome,
        reason: a.reason || "",
        tapped_at: a.tapped_at,
        sent_at: now,
      };
    });
    window
      .fetch(root.dataset.syncUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ actions: batch }),
      })
      .then(function (response) {
        if (response.status === 401) {
          showNotice(text("session"), "danger");
          throw new Error("session");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var done = [];
        var rejected = [];
        (data.results || []).forEach(function (result) {
          done.push(result.client_id);
          if (result.status === "rejected") {
            rejected.push(result.message);
          }
        });
        dequeue(done);
        if (rejected.length) {
          showNotice(text("rejected") + " " + rejected.join(" "), "danger");
        }
        flushing = false;
        refreshRoster();
        if (myQueue().length && items.length > BATCH) {
          flushSoon(0);
        }
      })
      .catch(function () {
        flushing = false;
        flushSoon(RETRY_MS);
      });
  }

  window.addEventListener("online", function () {
    updateOnlineNote();
    flushSoon(0);
  });
  window.addEventListener("offline", updateOnlineNote);
  window.addEventListener("storage", function (event) {
    if (event.key === QUEUE_KEY) {
      updateCounter(); // another tab sent or kept taps
    }
  });

  updateCounter();
  updateOnlineNote();
  markPendingRows();
  var roster = document.getElementById("roster");
  if (roster && roster.dataset.filtered === "1" && window.htmx) {
    refreshRoster(); // the page was opened with server-side filters: load the whole list, filter here
  } else {
    applyFilter();
  }
  if (recording || unsentCount()) {
    flushSoon(0);
    window.setInterval(function () {
      if (unsentCount()) {
        flush();
      }
    }, RETRY_MS);
  }
})();
