// On every page: register the service worker (HTTPS or localhost only), reload once when a new
// release takes over, tell the service worker who is signed in, prepare today's and tomorrow's
// visits for offline use, and on logout warn about unsent taps and delete the offline copies.
(function () {
  "use strict";

  const config = document.getElementById("offline-config");
  if (!config || !window.EktpStore || !window.EktpCopies || !window.indexedDB) {
    return;
  }
  const data = config.dataset;
  const userId = Number(data.user || 0);
  const canServiceWorker = window.isSecureContext && "serviceWorker" in navigator && "caches" in window;
  const INSECURE_NOTED = "ektp-offline-insecure-noted";
  const copies = canServiceWorker
    ? window.EktpCopies.create({
        caches: window.caches,
        store: window.EktpStore.copies,
        version: data.version,
        fetchFn: window.fetch.bind(window),
      })
    : null;
  const queue = window.EktpQueue ? window.EktpQueue.createQueue(window.EktpStore.queue) : null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function note(message) {
    const box = document.getElementById("offline-site-note");
    if (box && message) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  // --- The service worker ------------------------------------------------------------------
  const ready = (async () => {
    // Who is signed in now: the service worker sends only this user's taps.
    try {
      await window.EktpStore.meta.put({ key: "session", user: userId || null, csrf: userId ? csrfToken() : "" });
    } catch (e) {
      return null; // no IndexedDB (e.g. a private window that refuses it): nothing can be kept
    }
    if (!canServiceWorker) {
      if (!window.isSecureContext && userId) {
        try {
          if (!window.localStorage.getItem(INSECURE_NOTED)) {
            window.localStorage.setItem(INSECURE_NOTED, "1");
            note(data.textInsecure);
          }
        } catch (e) {
          note(data.textInsecure);
        }
      }
      return null;
    }
    if (!userId) {
      await copies.dropAll(); // signed out (or the session ended): no visit pages stay on the device
    } else {
      await copies.purge({ now: Date.now(), maxAgeMs: Number(data.maxAgeMs), userId: userId });
    }
    const hadController = Boolean(navigator.serviceWorker.controller);
    let reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      // A new release took over: reload so the page runs its JavaScript, not the old one.
      if (hadController && !reloading) {
        reloading = true;
        window.location.reload();
      }
    });
    return navigator.serviceWorker.register(data.swUrl, { scope: "/" }).catch(() => null);
  })();
  window.EktpOffline = { ready: ready, copies: copies };

  // --- Prepare visits for offline use ---------------------------------------------------------
  const section = document.getElementById("offline-prepare");
  function showState(li, entry) {
    const state = li.querySelector(".offline-state");
    if (!state) {
      return;
    }
    if (entry) {
      state.textContent = data.textCopied.replace("%s", window.EktpCopies.clock(entry.copied_at));
      state.className = "offline-state badge text-bg-success";
    } else {
      state.textContent = data.textNotCopied;
      state.className = "offline-state badge text-bg-light border";
    }
  }
  async function prepare() {
    if (!copies || !section) {
      return;
    }
    const items = Array.from(section.querySelectorAll("[data-offline-visit]"));
    const list = items.map((li) => ({
      url: li.dataset.url,
      visit: Number(li.dataset.offlineVisit),
      school: li.dataset.school,
      date: li.dataset.date,
    }));
    const keep = new Set(list.map((v) => v.url));
    const saved = await copies.prepare(list, userId);
    // Visits no longer to prepare (finished, cancelled, past): their copies go.
    const kept = await copies.list();
    await copies.drop(kept.filter((c) => !keep.has(c.url)).map((c) => c.url));
    // What is on the device now (a copy that could not be refreshed offline is still there).
    const byUrl = new Map(kept.map((c) => [c.url, c]));
    items.forEach((li) => showState(li, byUrl.get(li.dataset.url)));
    section.dataset.prepared = saved.some(Boolean) ? "1" : "0";
  }
  if (section) {
    if (!copies) {
      section.querySelectorAll(".offline-state").forEach((el) => {
        el.textContent = data.textUnavailable;
      });
    } else {
      copies.list().then((list) => {
        const byUrl = new Map(list.map((c) => [c.url, c]));
        section.querySelectorAll("[data-offline-visit]").forEach((li) => showState(li, byUrl.get(li.dataset.url)));
      });
      if (navigator.onLine) {
        ready.then(prepare);
      }
    }
    section.addEventListener("click", (event) => {
      if (event.target.closest(".js-offline-prepare")) {
        event.preventDefault();
        prepare();
      }
    });
  }

  // --- Logout --------------------------------------------------------------------------------
  let leaving = false;
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (leaving || !form.action || new URL(form.action, window.location.href).pathname !== data.logoutUrl) {
      return;
    }
    event.preventDefault();
    const unsent = queue ? (await queue.mine(userId)).length : 0;
    if (unsent > 0 && !window.confirm(data.textLogoutUnsent.replace("%s", String(unsent)))) {
      return; // stays signed in; the taps stay queued either way
    }
    if (copies) {
      await copies.dropAll();
    }
    leaving = true;
    form.submit();
  });
})();
