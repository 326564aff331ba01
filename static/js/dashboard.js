/* The dashboard's charts: each element with data-chart names a <script type="application/json">
   block (the CSP allows no inline script) holding what to draw; Apache ECharts draws it on a
   canvas. Numbers come from the server as they are in the tables below each chart. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }

  // Amounts are in 万元: 「850 万」, 「1.2 亿」 in Chinese; ¥8.5M, ¥1.2B in English.
  function money(value, locale) {
    var v = Number(value) || 0;
    if (locale === "en") {
      var yuan = v * 10000;
      if (Math.abs(yuan) >= 1e9) { return "¥" + +(yuan / 1e9).toFixed(2) + "B"; }
      if (Math.abs(yuan) >= 1e6) { return "¥" + +(yuan / 1e6).toFixed(2) + "M"; }
      return "¥" + Math.round(yuan).toLocaleString("en");
    }
    if (Math.abs(v) >= 10000) { return +(v / 10000).toFixed(2) + "亿"; }
    return +v.toFixed(2) + "万";
  }

  function formatter(unit, locale) {
    if (unit === "money") { return function (v) { return money(v, locale); }; }
    if (unit === "days") { return function (v) { return v == null ? "—" : (+Number(v).toFixed(1)) + (locale === "en" ? " d" : "天"); }; }
    return function (v) { return v == null ? "—" : String(+Number(v).toFixed(2)); };
  }

  var PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545"];

  function axesOption(data, narrow) {
    var units = [], horizontal = !!data.horizontal;
    data.series.forEach(function (s) { units[s.axis] = s.unit; });
    var valueAxes = units.map(function (unit, i) {
      return { type: "value", position: i ? "right" : undefined, splitLine: { show: !i },
               axisLabel: { formatter: formatter(unit, data.locale), fontSize: 11 } };
    });
    var categoryAxis = { type: "category", data: data.categories,
                         axisLabel: { interval: 0, fontSize: 11, rotate: !horizontal && narrow ? 45 : 0,
                                      width: horizontal ? (narrow ? 70 : 120) : undefined, overflow: "truncate" } };
    return {
      color: PALETTE, animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { show: data.series.length > 1, top: 0, textStyle: { fontSize: 11 } },
      grid: { left: 8, right: 8, top: data.series.length > 1 ? 36 : 12, bottom: 8, containLabel: true },
      xAxis: horizontal ? valueAxes[0] : categoryAxis,
      yAxis: horizontal ? Object.assign(categoryAxis, { inverse: true }) : valueAxes,
      series: data.series.map(function (s) {
        return { name: s.name, type: s.type, data: s.values, yAxisIndex: horizontal ? 0 : s.axis,
                 smooth: s.type === "line", barMaxWidth: 28,
                 tooltip: { valueFormatter: formatter(s.unit, data.locale) },
                 label: { show: horizontal, position: "right", fontSize: 11 } };
      })
    };
  }

  function heatmapOption(data, narrow) {
    var max = 1, names = data.names, zh = data.locale !== "en";
    data.cells.forEach(function (c) { if (c[2] > max) { max = c[2]; } });
    return {
      animation: false,
      tooltip: { renderMode: "richText", formatter: function (p) {
        var c = p.data;
        return data.y[c[1]] + " · " + c[5] + "\n" + names.outputs + " " + c[3] + "  " +
          names.needs + " " + c[4] + "  " + names.unmatched + " " + c[2];
      } },
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: data.x, splitArea: { show: true },
               axisLabel: { interval: 0, fontSize: 11, rotate: narrow ? 45 : 0 } },
      yAxis: { type: "category", data: data.y, inverse: true, splitArea: { show: true },
               axisLabel: { fontSize: 11, width: narrow ? 64 : 110, overflow: "truncate" } },
      visualMap: { min: 0, max: max, dimension: 2, orient: "horizontal", left: "center", bottom: 0,
                   itemHeight: narrow ? 120 : 200, text: [names.unmatched, "0"],
                   inRange: { color: ["#e8f5e9", "#ffcc80", "#c62828"] } },
      series: [{ type: "heatmap", data: data.cells,
                 label: { show: true, fontSize: narrow ? 9 : 11, formatter: function (p) {
                   var c = p.data;
                   return zh ? "供" + c[3] + "\n需" + c[4] : "S " + c[3] + "\nD " + c[4];
                 } } }]
    };
  }

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block) { return; }
    var data = JSON.parse(block.textContent);
    var narrow = el.clientWidth < 560;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(data.kind === "heatmap" ? heatmapOption(data, narrow) : axesOption(data, narrow));
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
}());
