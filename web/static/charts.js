/* Draws the charts a page carries as data, with the vendored uPlot (uplot.min.js, MIT: uplot.LICENSE).

   A chart is a <figure data-chart> holding its panels as JSON in a <script type="application/json">
   (projections/documents/charts.py chart_spec): each panel's title, whether its values are pounds, its days (ISO)
   and each line's label and values as exact decimal text. The figures are the projections' own; they become
   numbers here only to place points. Panels sit side by side on a wide screen and one above another on a phone,
   and follow the window's width. Charts arriving in an htmx swap are drawn too. */
(function () {
  "use strict";
  var COLOURS = ["#1f5f8b", "#c0392b", "#2e8b57", "#8e44ad"];
  var HEIGHT = 220;
  var pounds = new Intl.NumberFormat("en-GB", {style: "currency", currency: "GBP", maximumFractionDigits: 0});
  var thousands = new Intl.NumberFormat("en-GB", {style: "currency", currency: "GBP", notation: "compact",
                                                  maximumFractionDigits: 1});
  var many = new Intl.NumberFormat("en-GB", {notation: "compact", maximumFractionDigits: 1});
  var pence = new Intl.NumberFormat("en-GB", {style: "currency", currency: "GBP", minimumFractionDigits: 2});
  var whole = new Intl.NumberFormat("en-GB", {maximumFractionDigits: 0});
  var exact = new Intl.NumberFormat("en-GB", {maximumFractionDigits: 4});
  var longDate = new Intl.DateTimeFormat("en-GB", {day: "numeric", month: "short", year: "numeric", timeZone: "UTC"});

  function seconds(iso) {
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]) / 1000;
  }

  function shown(panel, v) {  // a value as the legend and the description show it
    if (v == null) return "–";
    return panel.pounds ? pence.format(v) : exact.format(v);
  }

  function ticks(panel) {  // £120K, £50 or £2.50 (pence only where a tick has them); points as whole numbers
    return function (u, values) {
      var pennies = values.some(function (v) { return Math.round(v) !== v; });
      var large = values.some(function (v) { return Math.abs(v) >= 10000; });
      return values.map(function (v) {
        if (!panel.pounds) return large ? many.format(v) : whole.format(v);
        return large ? thousands.format(v) : pennies ? pence.format(v) : pounds.format(v);
      });
    };
  }

  function describe(panel) {  // what a screen reader says for the drawing: each line from its first to its last day
    var days = panel.days;
    if (!days.length) return panel.title + ": nothing to draw";
    var first = longDate.format(new Date(seconds(days[0]) * 1000));
    var last = longDate.format(new Date(seconds(days[days.length - 1]) * 1000));
    return panel.title + ", " + first + " to " + last + ": " + panel.lines.map(function (line) {
      return line.label + " from " + shown(panel, Number(line.values[0])) + " to " +
        shown(panel, Number(line.values[line.values.length - 1]));
    }).join("; ");
  }

  function plot(panel, box) {
    var series = [{value: function (u, v) { return v == null ? "–" : longDate.format(new Date(v * 1000)); }}];
    var data = [panel.days.map(seconds)];
    panel.lines.forEach(function (line, n) {
      series.push({label: line.label, stroke: COLOURS[n % COLOURS.length], width: 1.6,
                   value: function (u, v) { return shown(panel, v); }, points: {show: false}});
      data.push(line.values.map(Number));
    });
    var options = {
      title: panel.title, width: Math.max(box.clientWidth, 240), height: HEIGHT, series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: {y: {range: function (u, low, high) {  // from zero when nothing is below it, as the documents draw
        var range = uPlot.rangeNum(low, high, 0.1, true);
        if (low >= 0) range[0] = 0;
        if (range[1] <= range[0]) range[1] = range[0] + 1;
        return range;
      }}},
      axes: [{stroke: "#555", grid: {show: false}},
             {stroke: "#555", values: ticks(panel), size: 64, grid: {stroke: "#e4e4e4", width: 1}}],
      legend: {live: false}  // a key to the lines: a phone has no pointer to hover with; the figures are on the page
    };
    return new uPlot(options, data, box);
  }

  function draw(figure) {
    if (figure.dataset.drawn || typeof uPlot === "undefined") return;
    var source = figure.querySelector("script[type='application/json']");
    if (!source) return;
    figure.dataset.drawn = "yes";
    var panels = JSON.parse(source.textContent);
    var row = document.createElement("div");
    row.className = "chart-panels";
    figure.insertBefore(row, source);
    var plots = panels.map(function (panel) {
      var box = document.createElement("div");
      box.className = "chart-panel";
      box.setAttribute("role", "img");
      box.setAttribute("aria-label", describe(panel));
      row.appendChild(box);
      return {box: box, plot: plot(panel, box)};
    });
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () {
        plots.forEach(function (p) { p.plot.setSize({width: Math.max(p.box.clientWidth, 240), height: HEIGHT}); });
      }).observe(row);
    }
  }

  function drawAll(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
