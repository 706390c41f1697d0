// Renders ECharts options to SVG on the server (bulletin PDF and HTML), with the same library
// the pages use in the browser. Reads {"width", "height", "options": [...]} as JSON on stdin,
// writes a JSON array of SVG strings on stdout. ECharts is resolved from SOMS_NODE_MODULES.
"use strict";
const path = require("path");
const echarts = require(path.join(process.env.SOMS_NODE_MODULES, "echarts"));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const svgs = request.options.map((option) => {
    const chart = echarts.init(null, null, {
      renderer: "svg", ssr: true, width: request.width, height: request.height,
    });
    chart.setOption({ animation: false, ...option });
    const svg = chart.renderToSVGString();
    chart.dispose();
    return svg;
  });
  process.stdout.write(JSON.stringify(svgs));
});
