// The service worker: the app shell from the device, visit pages from their offline copies when
// the network fails, an Indonesian offline page for everything else, and the queue sent by
// Background Sync. Its configuration (version, shell files) comes from /sw.js, which loads this.
/* global EKTP_SW, EktpStore, EktpQueue, EktpDrain, EktpCopies */
"use strict";

const CONFIG = EKTP_SW;
const SHELL = "ektp-shell-" + CONFIG.version;
const VISIT_PATH = new RegExp(CONFIG.visitPattern);
const SYNC_TAG = "ektp-queue";
const copies = EktpCopies.create({ caches, store: EktpStore.copies, version: CONFIG.version, fetchFn: fetch });
const queue = EktpQueue.createQueue(EktpStore.queue);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(CONFIG.shell.concat([CONFIG.offlineUrl])))
      .then(() => self.skipWaiting())
  );
});

// Bring the offline copies over to this version's cache (fetched again, so they name this
// release's files; the old copy is kept if the network is down), then drop the old caches.
async function takeOver() {
  const keys = await caches.keys();
  const old = keys.filter((k) => k.startsWith("ektp-") && k !== SHELL && k !== copies.name);
  const oldVisits = old.filter((k) => k.startsWith(EktpCopies.PREFIX));
  if (oldVisits.length) {
    const target = await caches.open(copies.name);
    for (const entry of await copies.list()) {
      let response = null;
      try {
        response = await fetch(entry.url, { credentials: "same-origin" });
      } catch (e) {
        response = null;
      }
      if (EktpCopies.cacheable(response)) {
        await copies.save(entry.url, response, { visit: entry.visit, school: entry.school, date: entry.date, user: entry.user });
        continue;
      }
      const kept = response ? null : await caches.match(entry.url, { cacheName: oldVisits[0], ignoreSearch: true });
      if (kept) {
        await target.put(entry.url, kept);
      } else {
        await EktpStore.copies.remove([entry.url]);
      }
    }
  }
  await Promise.all(old.map((k) => caches.delete(k)));
  const session = await EktpStore.meta.get("session");
  await copies.purge({ now: Date.now(), maxAgeMs: CONFIG.maxAgeMs, userId: session && session.user });
  await self.clients.claim();
}

self.addEventListener("activate", (event) => {
  event.waitUntil(takeOver());
});

async function offlinePage() {
  const page = await caches.match(CONFIG.offlineUrl, { cacheName: SHELL });
  return (
    page ||
    new Response("<!doctype html><title>Luring</title><p>Tidak ada sambungan internet.</p>", {
      status: 503,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    })
  );
}

// The copy, marked so the page shows "Salinan luring dari pukul …".
async function fromCopy(found) {
  const html = await found.response.text();
  const marked = html.replace('data-offline-copy=""', 'data-offline-copy="' + found.entry.copied_at + '"');
  return new Response(marked, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function navigate(request) {
  const url = new URL(request.url);
  const visitPage = VISIT_PATH.test(url.pathname);
  try {
    const response = await fetch(request);
    if (visitPage && !url.search && EktpCopies.cacheable(response)) {
      const entry = await EktpStore.copies.get(url.pathname);
      const session = await EktpStore.meta.get("session");
      if (entry && session && Number(entry.user) === Number(session.user)) {
        await copies.save(url.pathname, response.clone(), {
          visit: entry.visit,
          school: entry.school,
          date: entry.date,
          user: entry.user,
        });
      }
    }
    return response;
  } catch (error) {
    if (visitPage) {
      const found = await copies.match(url.pathname);
      if (found && Date.now() - found.entry.copied_at <= CONFIG.maxAgeMs) {
        return fromCopy(found);
      }
    }
    return offlinePage();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
  } else if (url.pathname.startsWith(CONFIG.staticUrl)) {
    event.respondWith(caches.match(request, { cacheName: SHELL }).then((hit) => hit || fetch(request)));
  }
});

async function sendQueue() {
  const session = await EktpStore.meta.get("session");
  if (!session || !session.user) {
    return; // nobody signed in: the taps wait for their owner
  }
  const post = EktpDrain.poster(fetch, CONFIG.syncUrl, session.csrf);
  try {
    await EktpDrain.exclusive(() => EktpDrain.drain({ queue, userId: session.user, post }));
  } catch (error) {
    if (error instanceof EktpDrain.SessionEnded) {
      return; // a new sign-in sends them
    }
    throw error; // the browser tries the sync again later
  } finally {
    if (typeof BroadcastChannel === "function") {
      new BroadcastChannel("ektp-queue").postMessage("changed");
    }
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) {
    event.waitUntil(sendQueue());
  }
});
