// Home page: how many of the signed-in user's taps still wait on this device to be sent.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EktpUnsentCount = api;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // The sentence for a count; "%s" in the text is replaced by the number (Indonesian grouping).
  function unsentText(count, texts) {
    if (!count) {
      return texts.none;
    }
    return texts.some.replace("%s", Number(count).toLocaleString("id-ID"));
  }

  async function show(box, queue) {
    const items = await queue.mine(Number(box.dataset.user || 0));
    box.querySelector(".js-unsent-text").textContent = unsentText(items.length, {
      none: box.dataset.textNone,
      some: box.dataset.textSome,
    });
    box.dataset.count = String(items.length);
  }

  if (typeof document !== "undefined") {
    const box = document.getElementById("unsent-taps");
    if (box && self.EktpQueue && self.EktpStore && self.indexedDB) {
      show(box, self.EktpQueue.createQueue(self.EktpStore.queue)).catch(() => {});
    }
  }

  return { unsentText };
});
