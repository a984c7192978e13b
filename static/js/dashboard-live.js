/* Live dashboard: htmx polls the results section (hx-get, hx-trigger="every Ns" in base.html) while a
 * round is open, and stops when the server answers 286 (the round has closed). This file only adds
 * what polling alone would lose:
 *   - no request while the tab is hidden, and one as soon as it is shown again;
 *   - no swap when nothing changed, so focus and scroll stay put;
 *   - open <details> stay open across a swap;
 *   - the report's print button.
 * No inline script and no eval: the CSP allows only files served by the app.
 */
(function () {
  "use strict";

  var reopenTitles = null;

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

  function isLive(element) {
    return element && element.hasAttribute && element.hasAttribute("data-live");
  }

  function showPrintButtons(root) {
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function init() {
    showPrintButtons(document);
    document.addEventListener("htmx:confirm", function (event) {
      if (isLive(event.target) && document.hidden) {
        event.preventDefault(); // a hidden tab asks nothing; it catches up when shown
      }
    });
    document.addEventListener("htmx:beforeSwap", function (event) {
      var section = event.detail.target;
      if (!isLive(section)) {
        return;
      }
      if (event.detail.xhr.status === 286) {
        section.removeAttribute("data-live"); // final numbers: no catching up when the tab is shown again
      }
      if (String(event.detail.serverResponse).trim() === section.innerHTML.trim()) {
        event.detail.shouldSwap = false;
        return;
      }
      reopenTitles = openDetails(section);
    });
    document.addEventListener("htmx:afterSwap", function (event) {
      var section = event.detail.target;
      if (reopenTitles === null || !section || section.id !== "live-results") {
        return;
      }
      reopen(section, reopenTitles);
      reopenTitles = null;
      showPrintButtons(section);
      document.dispatchEvent(new CustomEvent("dashboard:updated", { detail: section }));
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && document.querySelector("[data-live]")) {
        document.dispatchEvent(new CustomEvent("dashboard:visible"));
      }
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
