const test = require("node:test");
const assert = require("node:assert");
const { parseCount, confirmText } = require("../../static/js/finish_confirm.js");

const SOME = "Selesaikan kunjungan ini? {n} peserta didik belum ditandai.";
const NONE = "Selesaikan kunjungan ini? Semua peserta didik sudah ditandai.";

test("reads the tally as Indonesian pages write it", () => {
  assert.strictEqual(parseCount("12"), 12);
  assert.strictEqual(parseCount(" 1.234 "), 1234);
  assert.strictEqual(parseCount("0"), 0);
  assert.strictEqual(parseCount(""), null);
  assert.strictEqual(parseCount("—"), null);
});

test("names the unmarked students, or says none are left", () => {
  assert.strictEqual(confirmText(7, SOME, NONE), "Selesaikan kunjungan ini? 7 peserta didik belum ditandai.");
  assert.strictEqual(confirmText(0, SOME, NONE), NONE);
});

test("keeps the server's question when the tally cannot be read", () => {
  assert.strictEqual(confirmText(null, SOME, NONE), null);
  assert.strictEqual(confirmText(3, "", NONE), null);
});
