// node --test tests/js/scroll_regions.test.js
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { markScrollRegions } = require("../../static/js/scroll_regions.js");

// A tiny stand-in for the DOM: just what the module reads and writes.
function element(tagName, { text = "", children = [], scrollWidth = 0, clientWidth = 0, className = "" } = {}) {
  const node = {
    tagName, className, scrollWidth, clientWidth, children, parentElement: null,
    previousElementSibling: null, attributes: new Map(),
    get textContent() { return text + children.map((c) => c.textContent).join(""); },
    setAttribute(name, value) { this.attributes.set(name, String(value)); },
    getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; },
    hasAttribute(name) { return this.attributes.has(name); },
    removeAttribute(name) { this.attributes.delete(name); },
    querySelector(selector) { return find(this, selector.split(",").map((s) => s.trim().toUpperCase())); },
  };
  children.forEach((child, index) => {
    child.parentElement = node;
    child.previousElementSibling = index ? children[index - 1] : null;
  });
  return node;
}

function find(node, tags) {
  for (const child of node.children) {
    if (tags.includes(child.tagName)) return child;
    const inner = find(child, tags);
    if (inner) return inner;
  }
  return null;
}

function page(box) {
  return { querySelectorAll: () => [box] };
}

test("a box that scrolls becomes a labelled, focusable region", () => {
  const table = element("TABLE", { children: [element("CAPTION", { text: "Peserta didik" })] });
  const box = element("DIV", { className: "table-responsive", children: [table], scrollWidth: 900, clientWidth: 360 });
  markScrollRegions(page(box), "Tabel");
  assert.equal(box.getAttribute("tabindex"), "0");
  assert.equal(box.getAttribute("role"), "region");
  assert.equal(box.getAttribute("aria-label"), "Tabel: Peserta didik");
});

test("without a caption the heading before the table names it", () => {
  const box = element("DIV", { children: [element("TABLE")], scrollWidth: 900, clientWidth: 360 });
  element("SECTION", { children: [element("H2", { text: " Riwayat  hasil " }), element("P"), box] });
  markScrollRegions(page(box), "Table");
  assert.equal(box.getAttribute("aria-label"), "Table: Riwayat hasil");
});

test("a box that fits is left alone, and is unmarked when it fits again", () => {
  const box = element("DIV", { children: [element("TABLE")], scrollWidth: 300, clientWidth: 360 });
  markScrollRegions(page(box), "Tabel");
  assert.equal(box.hasAttribute("tabindex"), false);
  box.scrollWidth = 900;
  markScrollRegions(page(box), "Tabel");
  assert.equal(box.getAttribute("aria-label"), "Tabel");
  box.scrollWidth = 300;
  markScrollRegions(page(box), "Tabel");
  assert.equal(box.hasAttribute("tabindex"), false);
  assert.equal(box.hasAttribute("role"), false);
});

test("a box with its own tabindex is not touched", () => {
  const box = element("DIV", { children: [element("TABLE")], scrollWidth: 900, clientWidth: 360 });
  box.setAttribute("tabindex", "-1");
  markScrollRegions(page(box), "Tabel");
  assert.equal(box.getAttribute("tabindex"), "-1");
  assert.equal(box.hasAttribute("role"), false);
});
