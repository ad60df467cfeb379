// The satisfaction analysis charts (data from json_script "survey-data"): the trend of CSAT
// and NPS, SERVQUAL expectation against perception with the gap, importance × performance,
// and CSAT per dimension.
(function () {
  const source = document.getElementById("survey-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const names = data.names;
  const charts = [];
  const percent = (value) => (value === null || value === undefined ? null : Math.round(value * 1000) / 10);
  function chart(id, option) {
    const element = document.getElementById(id);
    if (!element) return;
    const made = echarts.init(element);
    made.setOption(option);
    charts.push(made);
  }
  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: [names.csat, names.nps] },
    xAxis: { type: "category", data: data.trend.map((row) => row.period) },
    yAxis: [{ type: "value", min: 0, max: 100, name: "%" }, { type: "value", min: -100, max: 100, name: "NPS" }],
    series: [
      { name: names.csat, type: "line", smooth: true, data: data.trend.map((row) => percent(row.csat)) },
      { name: names.nps, type: "line", smooth: true, yAxisIndex: 1, data: data.trend.map((row) => row.nps) },
    ],
  });
  chart("chart-servqual", {
    tooltip: { trigger: "axis" },
    legend: { data: [names.expectation, names.perception, names.gap] },
    // Every dimension named, long English names broken over two lines.
    xAxis: { type: "category", data: data.servqual.map((row) => row.label), axisLabel: { interval: 0, width: 72, overflow: "break" } },
    yAxis: { type: "value", min: -2, max: 5 },
    series: [
      { name: names.expectation, type: "bar", data: data.servqual.map((row) => row.expectation) },
      { name: names.perception, type: "bar", data: data.servqual.map((row) => row.perception) },
      { name: names.gap, type: "line", data: data.servqual.map((row) => row.gap) },
    ],
  });
  const points = data.indicators.concat(data.servqual).filter((row) => row.importance !== null && row.performance !== null);
  chart("chart-ipa", {
    tooltip: { formatter: (item) => item.data[2] + "<br>" + names.importance + " " + item.data[0] + " · " + names.performance + " " + item.data[1] },
    // Scaled to the points (they crowd between 3 and 5 on a 1–5 axis).
    xAxis: { type: "value", name: names.importance, scale: true },
    yAxis: { type: "value", name: names.performance, scale: true },
    series: [{
      type: "scatter", symbolSize: 14,
      data: points.map((row) => [row.importance, row.performance, row.label]),
      label: { show: true, formatter: (item) => item.data[2], position: "right" },
      labelLayout: { moveOverlap: "shiftY" },
      markLine: points.length ? {
        silent: true, symbol: "none", lineStyle: { type: "dashed" },
        data: [
          { xAxis: points.reduce((sum, row) => sum + row.importance, 0) / points.length },
          { yAxis: points.reduce((sum, row) => sum + row.performance, 0) / points.length },
        ],
      } : undefined,
    }],
  });
  for (const [by, rows] of Object.entries(data.breakdowns)) {
    chart("chart-by-" + by, {
      tooltip: { trigger: "axis" },
      grid: { left: 110 },
      xAxis: { type: "value", min: 0, max: 100, name: "%" },
      yAxis: { type: "category", data: rows.map((row) => row.label), inverse: true },
      series: [{ name: names.csat, type: "bar", data: rows.map((row) => percent(row.csat)) }],
    });
  }
  window.addEventListener("resize", () => charts.forEach((made) => made.resize()));
})();
