// Tallies and rows offline: the server's counts with the queued taps applied, latest tap winning.
const test = require("node:test");
const assert = require("node:assert/strict");
const Tally = require("../../static/js/offline/tally.js");
const Copies = require("../../static/js/offline/copies.js");

const base = { recorded: 1, absent: 0, refused: 0, none: 4 };
const server = { 1: "recorded", 2: "none", 3: "none", 4: "none", 5: "none" };

function tap(student, outcome, at, visit) {
  return { client_id: student + outcome + at, queued_by: 3, visit: visit || 7, student, outcome, tapped_at: at };
}

test("queued taps move a student from the server's outcome to the tapped one", () => {
  const counts = Tally.withQueued(base, server, [tap(2, "absent", 10), tap(3, "recorded", 11)], 7);
  assert.deepEqual(counts, { recorded: 2, absent: 1, refused: 0, none: 2 });
});

test("the later tap for a student wins, whatever the queue order", () => {
  const counts = Tally.withQueued(base, server, [tap(2, "refused", 30), tap(2, "absent", 20)], 7);
  assert.deepEqual(counts, { recorded: 1, absent: 0, refused: 1, none: 3 });
});

test("undo takes a student back to not marked; a tap equal to the server's changes nothing", () => {
  const counts = Tally.withQueued(base, server, [tap(1, "undo", 5), tap(4, "none", 6)], 7);
  assert.deepEqual(counts, { recorded: 0, absent: 0, refused: 0, none: 5 });
  assert.deepEqual(Tally.withQueued(base, server, [tap(1, "recorded", 5)], 7), base);
});

test("taps for other visits or students not on the page are left out", () => {
  const counts = Tally.withQueued(base, server, [tap(2, "absent", 5, 8), tap(99, "absent", 5)], 7);
  assert.deepEqual(counts, base);
});

test("counts never go below zero and new outcomes appear", () => {
  const counts = Tally.withQueued({ none: 0 }, { 1: "none" }, [tap(1, "not_eligible", 5)], 7);
  assert.deepEqual(counts, { none: 0, not_eligible: 1 });
});

test("numbers read and written with Indonesian thousands separators", () => {
  assert.equal(Tally.parseCount("2.100"), 2100);
  assert.equal(Tally.parseCount(""), 0);
  assert.equal(Tally.formatCount(1234567), "1.234.567");
  assert.equal(Tally.formatCount(12), "12");
});

test("offline copies expire after the limit or when another user signs in", () => {
  const list = [
    { url: "/kunjungan/1/", copied_at: 1000, user: 3 },
    { url: "/kunjungan/2/", copied_at: 100, user: 3 },
    { url: "/kunjungan/3/", copied_at: 1000, user: 4 },
  ];
  const old = Copies.expired(list, { now: 1500, maxAgeMs: 1000, userId: 3 });
  assert.deepEqual(old.map((c) => c.url), ["/kunjungan/2/", "/kunjungan/3/"]);
  assert.equal(Copies.expired(list, { now: 1500, maxAgeMs: 1000, userId: null }).length, 3);
});

test("only private, storable answers are kept as copies", () => {
  const answer = (cc, extra) => Object.assign({ ok: true, redirected: false, type: "basic", headers: new Headers(cc ? { "Cache-Control": cc } : {}) }, extra);
  assert.equal(Copies.cacheable(answer("private, no-cache")), true);
  assert.equal(Copies.cacheable(answer("private, no-store")), false);
  assert.equal(Copies.cacheable(answer("")), false);
  assert.equal(Copies.cacheable(answer("private, no-cache", { redirected: true })), false);
  assert.equal(Copies.cacheable(answer("private, no-cache", { ok: false })), false);
});

test("the copy time reads as Jakarta time, HH.MM", () => {
  assert.equal(Copies.clock(Date.UTC(2026, 11, 1, 0, 12)), "07.12");
});
