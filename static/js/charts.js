// Draws every chart on the page: each [data-chart] element names the <script type="application/json"> that
// holds its Vega-Lite spec (templates/charts/_chart.html). Needs the vendored vega, vega-lite and vega-embed
// (templates/charts/_scripts.html). The numbers are always in a table beside the chart, so when drawing fails
// we only open that table; the page never depends on this script.
(function () {
  "use strict";

  function showTable(el) {
    var figure = el.closest("figure");
    var details = figure && figure.querySelector("details");
    if (details) { details.open = true; }
    el.hidden = true;
  }

  function draw(el) {
    if (el.hasAttribute("data-chart-drawn")) { return; }  // htmx swaps can rescan the same element
    el.setAttribute("data-chart-drawn", "");
    var script = document.getElementById(el.getAttribute("data-chart") || el.id + "-spec");
    var spec;
    try {
      spec = JSON.parse(script.textContent);
    } catch (err) {
      showTable(el);
      return;
    }
    if (typeof window.vegaEmbed !== "function") { showTable(el); return; }
    // actions: false hides the export menu; svg keeps text crisp and gives the chart an aria-label.
    // Under the Content-Security-Policy: ast makes Vega run its expressions through the interpreter bundled
    // in vega-embed instead of compiling them with new Function (no 'unsafe-eval'), and defaultStyle: false
    // and tooltip.disableDefaultStyle keep vega-embed and its tooltip from adding <style> elements (no
    // 'unsafe-inline'); emotipal.css styles the chart and #vg-tooltip-element.
    var options = {
      actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: { disableDefaultStyle: true },
    };
    window.vegaEmbed(el, spec, options).catch(function (err) {
      if (window.console) { console.warn("chart not drawn:", el.id, err); }
      showTable(el);
    });
  }

  function drawAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    Array.prototype.forEach.call(scope.querySelectorAll("[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  // A swap may replace its target (outerHTML), so look through the whole page for charts not yet drawn.
  document.addEventListener("htmx:afterSwap", function () { drawAll(document); });
})();
