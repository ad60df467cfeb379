// Complaint analysis charts: the weekly trend and one pie per breakdown
// (data from json_script "analysis-data").
(function () {
  const data = JSON.parse(document.getElementById("analysis-data").textContent);
  const charts = [];
  const trend = echarts.init(document.getElementById("chart-trend"));
  trend.setOption({
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.trend.map((row) => row.week) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "line", data: data.trend.map((row) => row.count), smooth: true }],
  });
  charts.push(trend);
  for (const key of ["by_cause", "by_product", "by_department", "by_severity", "by_behaviour"]) {
    const chart = echarts.init(document.getElementById("chart-" + key));
    chart.setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data[key].slice(0, 12) }],
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
