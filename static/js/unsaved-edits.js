// Warn before leaving a page whose form has unsaved edits.
// A form opts in with data-unsaved-warning; submitting that form (Save, or a workflow
// button that saves the form first) is not "leaving with unsaved edits".
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-unsaved-warning]");
  if (!forms.length) return;
  var dirty = false;

  function snapshot(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }

  var saved = new Map();
  forms.forEach(function (form) {
    saved.set(form, snapshot(form));
    form.addEventListener("input", function () {
      dirty = Array.prototype.some.call(forms, function (f) { return snapshot(f) !== saved.get(f); });
    });
    form.addEventListener("submit", function () { dirty = false; });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    // Older browsers show the dialog only when returnValue is set.
    event.returnValue = "";
  });
})();
