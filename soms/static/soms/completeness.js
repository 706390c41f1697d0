/* The completeness chart: on time / late / missing per jurisdiction, stacked, from the page's
   JSON (json_script "completeness-data"). Clicking a bar drills down like the table's links. */
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("completeness-chart");
    var source = document.getElementById("completeness-data");
    if (!holder || !source || typeof echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = { on_time: "#198754", late: "#fd7e14", missing: "#dc3545" };
    var chart = echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.labels, inverse: true },
      series: data.series.map(function (s) {
        return {
          name: s.name,
          type: "bar",
          stack: "reporters",
          data: s.data,
          itemStyle: { color: colours[s.key] },
          emphasis: { focus: "series" },
          cursor: "pointer"
        };
      })
    });
    chart.on("click", function (params) {
      var link = data.links[params.dataIndex];
      if (link) window.location.href = link;
    });
    window.addEventListener("resize", function () { chart.resize(); });
    holder.dataset.ready = "true";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
