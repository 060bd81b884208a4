// The header's menu button on narrow screens: it shows or hides the main navigation. Without this
// file the button stays hidden and the navigation is simply always shown (CSS collapses it only
// once the header is marked as having a working button).
(function () {
  "use strict";
  var header = document.querySelector(".site-header");
  var button = header ? header.querySelector(".nav-toggle") : null;
  var nav = button ? document.getElementById(button.getAttribute("aria-controls")) : null;
  if (!button || !nav) return;

  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("nav-open", open);
  }

  button.hidden = false;
  header.classList.add("has-nav-toggle");
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("nav-open")) {
      set(false);
      button.focus();
    }
  });
})();
