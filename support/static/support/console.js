// Agent console niceties; every action also works as a plain form post without this file.
// "Insert link" / "Insert excerpt": put the text into the reply box at the cursor, then record
// the insert (a POST that answers 204). Polled sidebar updates wait while the agent is using it.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("#reply-form input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function insertAtCursor(box, text) {
    var start = box.selectionStart, end = box.selectionEnd, value = box.value;
    var before = value.slice(0, start), after = value.slice(end);
    var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var piece = lead + text + (after && !/^\n/.test(after) ? "\n\n" : "");
    box.value = before + piece + after;
    var caret = (before + piece).length;
    box.setSelectionRange(caret, caret);
    box.focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-insert]");
    var box = document.getElementById("reply-body");
    if (!button || !box) return;
    event.preventDefault();
    insertAtCursor(box, button.getAttribute("data-insert"));
    var body = new URLSearchParams({ mode: button.value });
    fetch(button.getAttribute("data-record"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      if (response.ok) button.setAttribute("data-recorded", "true");
    });
  });

  // Do not swap the sidebar away under the agent's hands (an open flag form, a focused field).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "suggestions" || event.detail.requestConfig.verb !== "get") return;
    if (target.querySelector("details.suggestion-flag[open]") || target.contains(document.activeElement)) {
      event.detail.shouldSwap = false;
    }
  });
})();
