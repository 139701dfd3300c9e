/* Draws the charts a page carries as data, with the vendored uPlot (uplot.min.js, MIT: uplot.LICENSE).

   A chart is a <figure data-chart> holding its panels as JSON in a <script type="application/json">
   (projections/documents/charts.py chart_spec): each panel's title, whether its values are pounds, its days (ISO)
   and each line's label and values as exact decimal text. The figures are the projections' own; they become
   numbers here only to place points. Panels sit side by side on a wide screen and one above another on a phone,
   and follow the window's width.

   htmx: a chart arriving in a swap is drawn; one swapped out is destroyed (uPlot keeps every live plot and
   updates it on each scroll and resize until destroyed); before htmx saves the page for Back and Forward the
   charts are taken down, since a saved canvas keeps its element but not its drawing, and they are drawn again
   on the restored page. */
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
  var dayMonth = new Intl.DateTimeFormat("en-GB", {day: "numeric", month: "short", timeZone: "UTC"});
  var monthYear = new Intl.DateTimeFormat("en-GB", {month: "short", year: "numeric", timeZone: "UTC"});
  var year = new Intl.DateTimeFormat("en-GB", {year: "numeric", timeZone: "UTC"});
  var DAY = 86400;

  function seconds(iso) {
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]) / 1000;
  }

  function shown(panel, v) {  // a value as the legend and the description show it (never "-£0.00")
    if (v == null) return "–";
    v = v || 0;
    return panel.pounds ? pence.format(v) : exact.format(v);
  }

  function dates(u, splits, axis, space, step) {  // British dates: 3 Mar, Mar 2025 or 2025 by the ticks' spacing
    var format = step >= 360 * DAY ? year : step >= 28 * DAY ? monthYear : dayMonth;
    return splits.map(function (v) { return format.format(new Date(v * 1000)); });
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
                   value: function (u, v) { return shown(panel, v); },
                   points: {show: panel.days.length <= 2}});  // a line of one or two days is its points
      data.push(line.values.map(Number));
    });
    var options = {
      title: panel.title, width: Math.max(box.clientWidth, 240), height: HEIGHT, series: series,
      padding: [null, 28, null, null],  // room on the right for the last date's label
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: {x: {time: true, range: function (u, low, high) {  // one day: a month either side of it
        return low === high ? [low - 30 * DAY, high + 30 * DAY] : [low, high];
      }}, y: {range: function (u, low, high) {  // from zero when nothing is below it, as the documents draw
        var range = uPlot.rangeNum(low, high, 0.1, true);
        if (low >= 0) range[0] = 0;
        if (range[1] <= range[0]) range[1] = range[0] + 1;
        return range;
      }}},
      axes: [{stroke: "#555", grid: {show: false}, values: dates},
             {stroke: "#555", values: ticks(panel), size: 64, grid: {stroke: "#e4e4e4", width: 1}}],
      legend: {live: false}  // a key to the lines: a phone has no pointer to hover with; the figures are on the page
    };
    return new uPlot(options, data, box);
  }

  var drawn = new Map();  // figure -> {row, plots, observer}: what undraw takes down

  function undraw(figure) {
    var chart = drawn.get(figure);
    if (chart) {
      chart.plots.forEach(function (p) { p.plot.destroy(); });
      if (chart.observer) chart.observer.disconnect();
      chart.row.remove();
      drawn.delete(figure);
    }
    var left = figure.querySelector(".chart-panels");  // a saved page's copy, restored without its drawing
    if (left) left.remove();
  }

  function draw(figure) {
    if (drawn.has(figure) || typeof uPlot === "undefined") return;
    undraw(figure);
    var source = figure.querySelector("script[type='application/json']");
    if (!source) return;
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
    var observer = null;
    if (typeof ResizeObserver !== "undefined") {
      observer = new ResizeObserver(function () {
        plots.forEach(function (p) { p.plot.setSize({width: Math.max(p.box.clientWidth, 240), height: HEIGHT}); });
      });
      observer.observe(row);
    }
    drawn.set(figure, {row: row, plots: plots, observer: observer});
  }

  function drawAll(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(draw);
  }

  function undrawAll(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(undraw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
  document.addEventListener("htmx:beforeCleanupElement", function (event) {  // swapped out: destroyed
    if (event.target.matches && event.target.matches("figure[data-chart]")) undraw(event.target);
  });
  document.addEventListener("htmx:beforeHistorySave", function () { undrawAll(document); });
  document.addEventListener("htmx:afterSettle", function () {
    drawn.forEach(function (chart, figure) { if (!document.contains(figure)) undraw(figure); });  // swapped out
    drawAll(document);  // swapped in, or taken down for the history save and still here
  });
  document.addEventListener("htmx:historyRestore", function () { drawAll(document); });
})();
