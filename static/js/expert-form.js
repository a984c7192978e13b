// The expert's round form: say so when an autosave could not reach the server.
// htmx swaps the server's answers (saved, or a 4xx message) into #save-status itself; a lost connection
// or a server error leaves nothing to swap, so without this the expert would not know the change is unsaved.
(function () {
  "use strict";
  var status = document.getElementById("save-status");
  if (!status) {
    return;
  }
  function say(text) {
    var line = document.createElement("span");
    line.className = "status-error";
    line.textContent = text;
    status.replaceChildren(line);
  }
  document.body.addEventListener("htmx:sendError", function () {
    say(status.dataset.offline);
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) {
      say(status.dataset.failed);
    }
  });
})();

// Ask why a rating moved (optionally) as soon as it moves past the study's threshold; the server renders
// the same question after a plain save, so without JavaScript it appears on the next page.
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".change-reason[data-rating]");
  boxes.forEach(function (box) {
    var previous = Number(box.dataset.previous);
    var threshold = Number(box.dataset.threshold);
    var text = box.querySelector("textarea");
    document.getElementsByName(box.dataset.rating).forEach(function (input) {
      input.addEventListener("change", function () {
        var value = Number(input.value);
        var moved = input.value !== "cj" && Math.abs(value - previous) > threshold;
        box.hidden = !moved && !(text && text.value.trim());
      });
    });
  });
})();
