// A table wider than the screen scrolls sideways inside its .table-responsive box. Keyboard users
// can only scroll a box that takes focus (WCAG 2.1.1), so while a box scrolls it becomes a focusable,
// labelled region (tabindex="0", role="region"); when it fits again it is an ordinary box.
// The label is the table's caption or the nearest heading before it, after the word passed from
// the template (data-label on this script's tag).
(function (root) {
  "use strict";

  var MARK = "data-scroll-region";

  function text(node) {
    return node ? (node.textContent || "").replace(/\s+/g, " ").trim() : "";
  }

  function headingBefore(box) {
    for (var node = box; node; node = node.parentElement) {
      for (var sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) return sibling;
        var inner = sibling.querySelector && sibling.querySelector("h1, h2, h3, h4, h5, h6");
        if (inner) return inner;
      }
    }
    return null;
  }

  function labelFor(box, word) {
    var table = box.querySelector("table");
    var name = text(table && table.querySelector("caption")) || text(headingBefore(box));
    return name ? word + ": " + name : word;
  }

  function markScrollRegions(doc, word) {
    var boxes = doc.querySelectorAll(".table-responsive");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var marked = box.hasAttribute(MARK);
      if (scrolls && !marked && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", labelFor(box, word));
        box.setAttribute(MARK, "");
      } else if (!scrolls && marked) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        box.removeAttribute(MARK);
      }
    }
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { markScrollRegions: markScrollRegions, labelFor: labelFor };
    return;
  }
  var script = root.document.currentScript;
  var word = (script && script.getAttribute("data-label")) || "Tabel";
  var run = function () { markScrollRegions(root.document, word); };
  var timer = null;
  root.document.addEventListener("DOMContentLoaded", run);
  root.document.addEventListener("htmx:afterSettle", run);
  root.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  if (root.document.readyState !== "loading") run();
})(typeof window !== "undefined" ? window : globalThis);
