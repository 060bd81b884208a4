// Search boxes with a suggestion dropdown follow the ARIA combobox pattern (list autocomplete):
// ArrowDown/ArrowUp move through the suggestions while the focus stays in the box, the active one
// is announced through aria-activedescendant, Enter opens it, Escape closes the list. htmx fills the
// list (the element named by aria-controls); this file only adds the keyboard and the states.
(function () {
  "use strict";

  function container(box) { return document.getElementById(box.getAttribute("aria-controls")); }
  function listbox(box) {
    var holder = container(box);
    var list = holder ? holder.querySelector("[role=listbox]") : null;
    return list && !list.hidden ? list : null;
  }
  function options(box) {
    var list = listbox(box);
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role=option]")) : [];
  }

  function setActive(box, option) {
    options(box).forEach(function (item) {
      item.setAttribute("aria-selected", item === option ? "true" : "false");
      item.classList.toggle("active", item === option);
    });
    if (option) {
      box.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  }

  function sync(box) {
    var open = options(box).length > 0;
    box.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) box.removeAttribute("aria-activedescendant");
  }

  function close(box) {
    var list = listbox(box);
    if (list) list.hidden = true;
    setActive(box, null);
    sync(box);
  }

  function move(box, step) {
    var items = options(box);
    if (!items.length) return;
    var current = items.indexOf(document.getElementById(box.getAttribute("aria-activedescendant") || ""));
    var next = current === -1 ? (step > 0 ? 0 : items.length - 1) : (current + step + items.length) % items.length;
    setActive(box, items[next]);
  }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box || box.getAttribute("role") !== "combobox") return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options(box).length) return;
      event.preventDefault();
      move(box, event.key === "ArrowDown" ? 1 : -1);
      sync(box);
    } else if (event.key === "Enter") {
      var active = document.getElementById(box.getAttribute("aria-activedescendant") || "");
      var link = active ? active.querySelector("a[href]") : null;
      if (link && listbox(box)) {
        event.preventDefault();
        link.click();
      }
    } else if (event.key === "Escape") {
      if (listbox(box)) {
        event.preventDefault();
        close(box);
      }
    }
  });

  // New suggestions arrived (htmx swapped the list in): nothing is active yet.
  document.addEventListener("htmx:afterSwap", function (event) {
    document.querySelectorAll("[role=combobox][aria-controls]").forEach(function (box) {
      if (container(box) === event.detail.target) {
        box.removeAttribute("aria-activedescendant");
        sync(box);
      }
    });
  });

  // Clicking elsewhere closes the list, as leaving a native select does.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("[role=combobox][aria-controls]").forEach(function (box) {
      var holder = container(box);
      if (event.target !== box && holder && !holder.contains(event.target)) close(box);
    });
  });
})();
