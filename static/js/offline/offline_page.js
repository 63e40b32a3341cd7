// The offline page: links to the visit pages kept on this device (newest copy first).
(function () {
  "use strict";

  const list = document.getElementById("offline-visits");
  if (!list || !window.EktpStore || !window.indexedDB) {
    return;
  }
  const maxAgeMs = Number(list.dataset.maxAgeMs);
  window.EktpStore.copies.all().then((copies) => {
    const now = Date.now();
    const fresh = copies.filter((c) => now - c.copied_at <= maxAgeMs).sort((a, b) => b.copied_at - a.copied_at);
    fresh.forEach((c) => {
      const li = document.createElement("li");
      li.className = "list-group-item";
      const link = document.createElement("a");
      link.href = c.url;
      link.textContent = c.school || c.url;
      li.appendChild(link);
      const small = document.createElement("span");
      small.className = "small text-body-secondary";
      small.textContent = " · " + (c.date || "") + " · " + list.dataset.textCopied.replace("%s", window.EktpCopies.clock(c.copied_at));
      li.appendChild(small);
      list.appendChild(li);
    });
    const none = document.getElementById("offline-none");
    if (none) {
      none.hidden = fresh.length > 0;
    }
  });
})();
