// Agent console niceties; every action also works as a plain form post without this file.
// "Insert link" / "Insert excerpt": put the text into the reply box at the cursor, then record
// the insert (a POST that answers 204). The suggestions follow the reply as it is typed.
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

  // The sidebar keeps up with the agent: re-ranked (debounced) as they type the reply, and checked every
  // few seconds for a new customer message. It is never redrawn under the agent's hands (an open flag
  // form, a focused field in it); the next round tries again.
  var TYPING_DELAY_MS = 400, POLL_MS = 10000;
  var typingTimer = null, inFlight = null, lastDraft = null;

  function sidebar() { return document.getElementById("suggestions"); }

  function busy(aside) {
    return aside.querySelector("details.suggestion-flag[open]") || aside.contains(document.activeElement);
  }

  function refresh(onlyNew) {
    var aside = sidebar(), box = document.getElementById("reply-body");
    if (!aside || !aside.getAttribute("data-live")) return;
    var draft = box ? box.value : "";
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    var body = new URLSearchParams({ draft: draft, last: aside.getAttribute("data-last-message") || "",
                                     only_new: onlyNew ? "1" : "0" });
    fetch(aside.getAttribute("data-live"), {
      method: "POST", body: body, credentials: "same-origin", signal: inFlight.signal,
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      if (response.status !== 200) return null;
      return response.json();
    }).then(function (data) {
      var current = sidebar();
      if (!data || !current) return;
      if (busy(current)) return;
      lastDraft = draft;
      if (data.conversation_html) {
        var conversation = document.getElementById("conversation");
        if (conversation) conversation.outerHTML = data.conversation_html;
      }
      current.outerHTML = data.html;
      var fresh = sidebar();
      if (fresh && window.htmx) window.htmx.process(fresh);
      if (fresh) fresh.setAttribute("data-draft-ranked", "true");
    }).catch(function () { /* aborted by a newer keystroke, or offline: the next round retries */ });
  }

  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "reply-body") return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () {
      if (event.target.value !== lastDraft) refresh(false);
    }, TYPING_DELAY_MS);
  });

  if (sidebar()) setInterval(function () { refresh(true); }, POLL_MS);
})();
