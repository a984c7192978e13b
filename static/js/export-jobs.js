// Export page: while a file is being prepared, poll its status and update the progress bar;
// reload the page once every job has finished, so the download link appears.
(function () {
  "use strict";
  var pending = Array.prototype.slice.call(document.querySelectorAll("[data-export-job]"));
  if (!pending.length) { return; }
  function poll() {
    var requests = pending.map(function (element) {
      return fetch(element.getAttribute("data-export-job"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) { return true; }
          var bar = element.querySelector("progress");
          if (bar) { bar.value = job.progress; bar.textContent = job.progress + "%"; }
          return job.status === "done" || job.status === "failed";
        })
        .catch(function () { return false; });
    });
    Promise.all(requests).then(function (finished) {
      if (finished.every(Boolean)) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
    });
  }
  window.setTimeout(poll, 1500);
})();
