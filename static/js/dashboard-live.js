/* Live dashboard: while a round is open, re-fetch the page's results section and swap it in.
 *
 * The section carries data-live-url (the same page with ?partial=1) and data-live-seconds. Polling
 * pauses while the tab is hidden, skips the swap when nothing changed (so focus and scroll stay
 * put), keeps open <details> open, and stops when the server's fragment says the round has closed.
 * Also wires the report's print button. No inline script: the CSP allows only this file.
 */
(function () {
  "use strict";

  function openDetails(section) {
    var open = [];
    section.querySelectorAll("details[open] > summary").forEach(function (summary) {
      open.push(summary.textContent.trim());
    });
    return open;
  }

  function reopen(section, titles) {
    section.querySelectorAll("details > summary").forEach(function (summary) {
      if (titles.indexOf(summary.textContent.trim()) !== -1) {
        summary.parentElement.open = true;
      }
    });
  }

  function startPolling(section) {
    var url = section.getAttribute("data-live-url");
    var seconds = parseInt(section.getAttribute("data-live-seconds"), 10) || 30;
    var busy = false;
    var timer = null;

    function refresh() {
      if (busy || document.hidden) {
        return;
      }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (html.trim() !== section.innerHTML.trim()) {
            var titles = openDetails(section);
            section.innerHTML = html;
            reopen(section, titles);
            document.dispatchEvent(new CustomEvent("dashboard:updated", { detail: section }));
          }
          if (html.indexOf("data-round-open") === -1) {
            window.clearInterval(timer);  // the round closed: the numbers are final
          }
        })
        .catch(function () {
          /* A failed refresh keeps the last numbers; the next tick tries again. */
        })
        .finally(function () {
          busy = false;
        });
    }

    timer = window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        refresh();
      }
    });
  }

  function showPrintButtons(root) {
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function init() {
    document.querySelectorAll("[data-live-url]").forEach(startPolling);
    showPrintButtons(document);
    document.addEventListener("dashboard:updated", function (event) {
      showPrintButtons(event.detail);
    });
    document.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("[data-print]")) {
        window.print();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
