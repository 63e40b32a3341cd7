// Finish-visit confirmation: names how many students are still unmarked, read from the live
// tally (the "Belum ditandai" count that each tap updates) just before the question is asked.
// Runs in the capture phase, so visit_recording.js's submit handler asks the updated question.
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    api.install(root.document);
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // "1.234" (Indonesian grouping) or "1,234" -> 1234; anything else -> null.
  function parseCount(text) {
    var digits = String(text || "").replace(/[.,\s\u00a0]/g, "");
    return /^\d+$/.test(digits) ? Number(digits) : null;
  }

  function confirmText(count, some, none) {
    if (count === null || !some || !none) {
      return null;
    }
    return count > 0 ? some.replace("{n}", String(count)) : none;
  }

  function install(doc) {
    doc.addEventListener(
      "submit",
      function (event) {
        var form = event.target;
        if (!form.classList || !form.classList.contains("js-finish-form")) {
          return;
        }
        var tally = doc.querySelector('[data-tally="none"]');
        var text = confirmText(
          tally ? parseCount(tally.textContent) : null,
          form.dataset.confirmSome,
          form.dataset.confirmNone
        );
        if (text) {
          form.dataset.confirm = text;
        }
      },
      true
    );
  }

  return { parseCount: parseCount, confirmText: confirmText, install: install };
});
