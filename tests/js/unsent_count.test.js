const test = require("node:test");
const assert = require("node:assert");
const { unsentText } = require("../../static/js/offline/unsent_count.js");

const texts = { none: "Semua terkirim.", some: "Belum terkirim: %s" };

test("no unsent taps says all are sent", () => {
  assert.strictEqual(unsentText(0, texts), "Semua terkirim.");
});

test("the count goes into the sentence with Indonesian grouping", () => {
  assert.strictEqual(unsentText(3, texts), "Belum terkirim: 3");
  assert.strictEqual(unsentText(2100, texts), "Belum terkirim: 2.100");
});
