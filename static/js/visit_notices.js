// The WhatsApp button opens wa.me in a new tab (the server logs the tap, then redirects there).
// Reload this visit page a moment later so its notice log shows the tap just made.
(function () {
  "use strict";
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.classList || !form.classList.contains("js-whatsapp-form") || event.defaultPrevented) {
      return;
    }
    window.setTimeout(() => window.location.reload(), 1500);
  });
})();
