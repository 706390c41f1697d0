/* A policy target's charts, from the page's JSON (json_script "policy-charts"): the yearly
   figures by source, a part of a year hollow, the target (or benchmark) dashed, the trend and
   its projection to the deadline dotted. The tables under the charts carry every figure, so the
   page is complete without this script. */
(function () {
  "use strict";
  var STYLES = {
    system: { color: "#0d6efd", type: "line" },
    published: { color: "#6c757d", type: "line" },
    reference: { color: "#198754", type: "line" },
    external: { color: "#6f42c1", type: "line" },
    partial: { color: "#0d6efd", type: "scatter", hollow: true },
    target: { color: "#dc3545", type: "line", dashed: "dashed" },
    projection: { color: "#fd7e14", type: "line", dashed: "dotted" }
  };
  function numbers(values) {
    return values.map(function (v) { return v === null ? null : parseFloat(v); });
  }
  function format(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString(undefined, {
      maximumFractionDigits: 2
    });
  }
  function draw(key, part) {
    var holder = document.getElementById("chart-" + key);
    if (!holder || !part.years.length) return;
    var chart = echarts.init(holder, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: format },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: part.years },
      yAxis: { type: "value", name: part.unit, nameTextStyle: { align: "left" } },
      series: part.series.map(function (s) {
        var style = STYLES[s.kind] || STYLES.system;
        var line = style.type === "line";
        return {
          name: s.name,
          type: style.type,
          data: numbers(s.values),
          connectNulls: line && s.kind !== "partial",
          symbol: style.hollow ? "emptyCircle" : "circle",
          symbolSize: style.hollow ? 9 : (style.dashed ? 0 : 6),
          showSymbol: !style.dashed,
          itemStyle: { color: style.color },
          lineStyle: line ? { color: style.color, type: style.dashed || "solid", width: 2 } : undefined
        };
      })
    });
    holder.dataset.ready = "true";
  }
  function start() {
    var data = document.getElementById("policy-charts");
    if (!data || typeof echarts === "undefined") return;
    var charts = JSON.parse(data.textContent);
    Object.keys(charts).forEach(function (key) { draw(key, charts[key]); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
