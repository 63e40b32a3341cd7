// Progress pages: print button (the Content-Security-Policy forbids inline handlers).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-action='print']") : null;
  if (button) {
    event.preventDefault();
    window.print();
  }
});
