// Small behaviours without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  if (event.target.classList && event.target.classList.contains("js-autosubmit")) {
    event.target.form.submit();
  }
});
