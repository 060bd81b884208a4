// Live progress of a source's latest harvest run: polls the source's progress JSON
// (data-progress-url) while a run is going, or while one just asked for has not started yet.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var shown = box.getAttribute("data-shown-run");
  var waiting = box.getAttribute("data-waiting") === "1";
  var field = function (name) { return box.querySelector('[data-field="' + name + '"]'); };
  var deadline = Date.now() + 30 * 60 * 1000;

  function render(run) {
    var summary = field("summary");
    summary.textContent = "";
    var link = document.createElement("a");
    link.href = run.url;
    link.textContent = "Run #" + run.id;
    summary.appendChild(link);
    summary.appendChild(document.createTextNode(": " + run.status_label));
    field("counts").textContent = run.new + " new · " + run.updated + " updated · " + run.unchanged +
      " unchanged · " + run.deleted + " deleted · " + run.failed + " failed";
    field("message").textContent = run.message || "";
    field("bar").hidden = !run.running;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var run = data && data.run;
        if (run) {
          if (String(run.id) !== shown) waiting = false;
          render(run);
        }
        if ((waiting || (run && run.running)) && Date.now() < deadline) window.setTimeout(poll, 1000);
      })
      .catch(function () { if (Date.now() < deadline) window.setTimeout(poll, 5000); });
  }

  var running = !field("bar").hidden;
  if (waiting || running) poll();
})();
