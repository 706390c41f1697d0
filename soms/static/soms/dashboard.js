/* The statistics dashboard's charts, from the page's JSON (json_script "dashboard-data").
   Confidential cells (C) arrive as null and are left out of the charts; the tables under each
   chart show every figure, so the page is complete without this script. */
(function () {
  "use strict";
  function numbers(values) {
    return values.map(function (v) { return v === null ? null : parseFloat(v); });
  }
  function money(value) {
    return value === null || value === undefined ? "C" : Number(value).toLocaleString(undefined, {
      minimumFractionDigits: 2, maximumFractionDigits: 2
    });
  }
  function chartIn(id) {
    var holder = document.getElementById(id);
    if (!holder) return null;
    var chart = echarts.init(holder, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.ready = "true";
    return chart;
  }
  function bars(id, part, name, horizontal) {
    var chart = chartIn(id);
    if (!chart || !part.labels.length) return;
    var category = { type: "category", data: part.labels, inverse: horizontal };
    var value = { type: "value", axisLabel: { formatter: function (v) { return money(v); } } };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: money },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [{ name: name, type: "bar", data: numbers(part.values), itemStyle: { color: "#0d6efd" } }]
    });
  }
  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var name = data.labels.execution + " (" + data.currency + ")";

    var trend = chartIn("chart-trend");
    if (trend) {
      trend.setOption({
        animation: false,
        tooltip: { trigger: "axis", valueFormatter: money },
        grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.trend.labels, boundaryGap: false },
        yAxis: { type: "value", axisLabel: { formatter: function (v) { return money(v); } } },
        series: [{ name: name, type: "line", data: numbers(data.trend.values), connectNulls: false,
                   itemStyle: { color: "#0d6efd" } }]
      });
    }

    var pie = chartIn("chart-composition");
    if (pie && data.composition.labels.length) {
      pie.setOption({
        animation: false,
        tooltip: { trigger: "item", valueFormatter: money },
        legend: { bottom: 0 },
        series: [{
          name: name,
          type: "pie",
          radius: ["35%", "65%"],
          label: { formatter: "{b}: {d}%" },
          data: data.composition.labels.map(function (label, i) {
            return { name: label, value: data.composition.values[i] === null ? null : parseFloat(data.composition.values[i]) };
          }).filter(function (item) { return item.value !== null; })
        }]
      });
    }

    bars("chart-countries", data.countries, name, true);
    bars("chart-groups", data.groups, name, true);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
