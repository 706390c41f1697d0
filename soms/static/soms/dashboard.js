/* The statistics dashboard's charts, from the page's JSON (json_script "dashboard-data"); the
   province map from the deployer's GeoJSON when SOMS_PROVINCE_GEOJSON is set (same origin).
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
  function provinceCode(properties) {
    // A deployer's file names provinces by division code: 2 digits ("32"), 6 digits
    // ("320000", or a city's "320500"), in "code" or in "adcode".
    var raw = properties.code !== undefined && properties.code !== null ? properties.code : properties.adcode;
    var code = raw === undefined || raw === null ? "" : String(raw).trim();
    if (/^[0-9]{2}$/.test(code)) return code + "0000";
    if (/^[0-9]{6}$/.test(code)) return code.slice(0, 2) + "0000";
    return "";
  }
  function provinceMap(part, name, confidential) {
    var holder = document.getElementById("chart-province-map");
    if (!holder || !window.fetch) return;
    fetch(holder.dataset.geojson, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (geojson) {
        (geojson.features || []).forEach(function (feature) {
          feature.properties = feature.properties || {};
          feature.properties.soms_code = provinceCode(feature.properties);
        });
        echarts.registerMap("soms-provinces", geojson);
        var largest = 0;
        var items = part.codes.map(function (code, i) {
          var value = part.values[i] === null ? null : parseFloat(part.values[i]);
          if (value !== null && value > largest) largest = value;
          return { name: code, value: value, label: part.labels[i], confidential: value === null };
        });
        var chart = chartIn("chart-province-map");
        chart.setOption({
          animation: false,
          tooltip: {
            trigger: "item",
            formatter: function (params) {
              var item = params.data;
              if (!item) return "";
              return item.label + ": " + (item.confidential ? "C (" + confidential + ")" : money(item.value));
            }
          },
          visualMap: {
            min: 0, max: largest || 1, left: 8, bottom: 8, calculable: true,
            inRange: { color: ["#e7f1ff", "#0d6efd"] },
            formatter: function (v) { return money(v); }
          },
          series: [{
            name: name,
            type: "map",
            map: "soms-provinces",
            nameProperty: "soms_code",
            roam: true,
            label: { show: false },
            itemStyle: { areaColor: "#dee2e6", borderColor: "#6c757d" },
            emphasis: { label: { show: false } },
            data: items
          }]
        });
      })
      .catch(function () { holder.dataset.failed = "true"; });
  }
  function history(part) {
    var chart = chartIn("chart-history");
    if (!chart || !part.years.length) return;
    var colors = ["#6c757d", "#adb5bd", "#0d6efd", "#6ea8fe"];
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) {
          return v === null || v === undefined ? "—" : Number(v).toLocaleString(undefined, { maximumFractionDigits: 2 });
        }
      },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: part.years },
      yAxis: { type: "value", name: part.unit, nameTextStyle: { align: "left" } },
      series: part.series.map(function (s, i) {
        var published = s.kind === "published";
        return {
          name: s.name,
          type: published ? "line" : "bar",
          data: numbers(s.values),
          connectNulls: true,
          symbol: "circle",
          symbolSize: 7,
          lineStyle: published ? { type: "dashed" } : undefined,
          itemStyle: { color: colors[i % colors.length] }
        };
      })
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
    provinceMap(data.provinces, name, data.labels.confidential);
    history(data.history);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
