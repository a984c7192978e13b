/* "Download PNG" for the dashboard's inline SVG charts: draw the SVG on a canvas and save it.
 *
 * The buttons ship hidden and appear only when this script runs, so a page without scripts never
 * offers a button that does nothing (the SVG download link works without scripts). Clicks are
 * handled by delegation, so charts swapped in by the live poller work too. The PNG is drawn at
 * twice the chart's size for sharp print, on white.
 */
(function () {
  "use strict";

  var SCALE = 2;

  function showButtons(root) {
    root.querySelectorAll("[data-png-chart]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () {
      URL.revokeObjectURL(link.href);
    }, 1000);
  }

  function toPng(svg, name, button) {
    var box = svg.viewBox.baseVal;
    var width = box && box.width ? box.width : svg.clientWidth;
    var height = box && box.height ? box.height : svg.clientHeight;
    var copy = svg.cloneNode(true);
    copy.setAttribute("width", String(width));
    copy.setAttribute("height", String(height));
    var source = new XMLSerializer().serializeToString(copy);
    var url = URL.createObjectURL(new Blob([source], { type: "image/svg+xml;charset=utf-8" }));
    var image = new Image();
    button.disabled = true;
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = width * SCALE;
      canvas.height = height * SCALE;
      var context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) {
        button.disabled = false;
        if (blob) {
          save(blob, name);
        }
      }, "image/png");
    };
    image.onerror = function () {
      URL.revokeObjectURL(url);
      button.disabled = false;
    };
    image.src = url;
  }

  function init() {
    showButtons(document);
    document.addEventListener("dashboard:updated", function (event) {
      showButtons(event.detail);
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-png-chart]") : null;
      if (!button) {
        return;
      }
      var svg = document.getElementById(button.getAttribute("data-png-chart"));
      if (svg) {
        toPng(svg, button.getAttribute("data-png-name") || "chart.png", button);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
