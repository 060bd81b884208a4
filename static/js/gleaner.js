// Small behaviours every page may use; each page also works without them.
// Kept in a file (never inline) so the Content-Security-Policy can refuse inline script.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form as soon as a choice is made.
  document.addEventListener("change", function (event) {
    var field = event.target.closest("select[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
})();
