// The offline queue: kept per user, sent in batches once, the other user's taps never sent.
const test = require("node:test");
const assert = require("node:assert/strict");
const Queue = require("../../static/js/offline/queue.js");
const Drain = require("../../static/js/offline/drain.js");

function tap(id, user, extra) {
  return Object.assign({ client_id: id, queued_by: user, visit: 1, student: 10, outcome: "recorded", tapped_at: 1000 }, extra);
}

test("a tap without its owner or time is refused", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  await assert.rejects(queue.add({ client_id: "a", tapped_at: 1 }));
  await assert.rejects(queue.add({ client_id: "a", queued_by: 3 }));
  await queue.add(tap("a", 3));
  assert.equal((await queue.all()).length, 1);
});

test("each user sees only their own taps, by tap time", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  await queue.add(tap("late", 3, { tapped_at: 3000 }));
  await queue.add(tap("other", 4, { tapped_at: 1000 }));
  await queue.add(tap("early", 3, { tapped_at: 2000 }));
  assert.deepEqual((await queue.mine(3)).map((a) => a.client_id), ["early", "late"]);
  assert.deepEqual((await queue.mine("4")).map((a) => a.client_id), ["other"]);
  assert.deepEqual(await queue.mine(0), []);
});

test("a batch item carries queued_by, the tap time and one send time", () => {
  const [item] = Queue.batch([tap("a", 3, { seq: 9, reason: undefined })], 5000);
  assert.deepEqual(item, {
    client_id: "a", queued_by: 3, visit: 1, student: 10, outcome: "recorded", reason: "", tapped_at: 1000, sent_at: 5000,
  });
});

test("answers settle the queue except another user's taps", () => {
  const results = [
    { client_id: "a", status: "recorded" },
    { client_id: "b", status: "duplicate" },
    { client_id: "c", status: "rejected", message: "Kunjungan sudah selesai." },
    { client_id: "d", status: "rejected", code: "other_user", message: "x" },
  ];
  assert.deepEqual(Queue.settled(results), ["a", "b", "c"]);
  assert.deepEqual(Queue.rejectedMessages(results), ["Kunjungan sudah selesai."]);
});

test("status warns once the oldest unsent tap is older than the limit", () => {
  const hours4 = 4 * 3600 * 1000;
  const items = [tap("a", 3, { tapped_at: 10_000 }), tap("b", 3, { tapped_at: 20_000 })];
  assert.deepEqual(Queue.status(items, 10_000 + hours4 - 1, hours4), { count: 2, oldest: 10_000, stale: false });
  assert.equal(Queue.status(items, 10_000 + hours4, hours4).stale, true);
  assert.deepEqual(Queue.status([], 99, hours4), { count: 0, oldest: null, stale: false });
});

test("the localStorage queue of earlier versions is read in today's shape", () => {
  const raw = JSON.stringify([
    { client_id: "a", user: "3", visit: 1, student: 2, outcome: "absent", tapped_at: 5 },
    { client_id: "b", visit: 1, student: 2, outcome: "absent", tapped_at: 5 },
    "junk",
  ]);
  const items = Queue.fromLegacy(raw);
  assert.equal(items.length, 1);
  assert.equal(items[0].queued_by, 3);
  assert.equal("user" in items[0], false);
  assert.deepEqual(Queue.fromLegacy("{not json"), []);
});

function fakeServer({ failAt } = {}) {
  const stored = new Map();
  const requests = [];
  const post = async (body) => {
    requests.push(body);
    if (failAt === requests.length) {
      throw new TypeError("Failed to fetch");
    }
    return {
      status: 200,
      data: {
        results: body.actions.map((a) => {
          if (a.queued_by !== 3) {
            return { client_id: a.client_id, status: "rejected", code: "other_user" };
          }
          const status = stored.has(a.client_id) ? "duplicate" : "recorded";
          stored.set(a.client_id, a);
          return { client_id: a.client_id, status };
        }),
      },
    };
  };
  return { stored, requests, post };
}

test("450 taps drain in 3 parallel requests, each stored once; another user's stay queued", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  for (let i = 0; i < 450; i++) {
    await queue.add(tap("t" + i, 3, { tapped_at: 1000 + i, student: i }));
  }
  await queue.add(tap("theirs", 4));
  const server = fakeServer();
  const report = await Drain.drain({ queue, userId: 3, post: server.post, now: () => 9999 });
  assert.equal(report.requests, 3);
  assert.deepEqual(server.requests.map((r) => r.actions.length), [150, 150, 150]);
  assert.equal(report.settled, 450);
  assert.equal(server.stored.size, 450);
  assert.ok(server.requests.every((r) => r.actions.every((a) => a.queued_by === 3 && a.sent_at === 9999)));
  assert.deepEqual((await queue.all()).map((a) => a.client_id), ["theirs"]);
});

test("a lost connection keeps what was not answered; the next drain sends only that", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  for (let i = 0; i < 250; i++) {
    await queue.add(tap("t" + i, 3, { tapped_at: 1000 + i }));
  }
  const server = fakeServer({ failAt: 2 });
  await assert.rejects(Drain.drain({ queue, userId: 3, post: server.post, batchSize: 200, parallel: 1 }), TypeError);
  assert.equal((await queue.mine(3)).length, 50);
  await Drain.drain({ queue, userId: 3, post: server.post });
  assert.equal((await queue.mine(3)).length, 0);
  assert.equal(server.stored.size, 250);
});

test("taps being sent by the page are skipped; a 401 stops the drain and keeps the taps", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  await queue.add(tap("busy", 3));
  await queue.add(tap("free", 3));
  const server = fakeServer();
  await Drain.drain({ queue, userId: 3, post: server.post, skip: ["busy"] });
  assert.deepEqual(server.requests[0].actions.map((a) => a.client_id), ["free"]);
  const ended = async () => ({ status: 401, data: null });
  await assert.rejects(Drain.drain({ queue, userId: 3, post: ended }), Drain.SessionEnded);
  assert.deepEqual((await queue.mine(3)).map((a) => a.client_id), ["busy"]);
});

test("one failed request of several: the answered ones are settled, the rest stays", async () => {
  const queue = Queue.createQueue(Queue.memoryStore());
  for (let i = 0; i < 300; i++) {
    await queue.add(tap("t" + i, 3, { tapped_at: 1000 + i }));
  }
  const server = fakeServer({ failAt: 1 });
  await assert.rejects(Drain.drain({ queue, userId: 3, post: server.post }), TypeError);
  const left = await queue.mine(3);
  assert.equal(left.length, 150);
  assert.deepEqual(left.map((a) => a.client_id), server.requests[0].actions.map((a) => a.client_id));
});
