// Draws every <canvas data-chart="ID"> from the Chart.js configuration in the JSON
// block with that id, on page load and after every htmx swap. Configurations are
// built on the server (storenet/web/charts.py); nothing here knows about KPIs.
(function () {
  "use strict";
  function mapTooltip(ctx) {
    const p = ctx.raw || {};
    const rate = p.stockout == null ? "no figures" : (100 * p.stockout).toFixed(1) + "% stock-outs";
    return ctx.dataset.label + ": " + p.stores + " stores, " + rate;
  }
  function draw(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || typeof Chart === "undefined") return;
      const config = JSON.parse(source.textContent);
      const tip = config.options && config.options.plugins && config.options.plugins.tooltip;
      if (tip && tip.storenet === "map") {
        delete tip.storenet;
        tip.callbacks = { label: mapTooltip };
      }
      new Chart(canvas, config);
      canvas.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
