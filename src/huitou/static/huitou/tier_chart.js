// Customer value tiers: customers per tier and month, stacked (data from json_script "tier-data").
(function () {
  const data = JSON.parse(document.getElementById("tier-data").textContent);
  const chart = echarts.init(document.getElementById("tier-chart"));
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["A", "B", "C", "D"] },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: ["A", "B", "C", "D"].map((tier) => ({ name: tier, type: "bar", stack: "tiers", data: data[tier] })),
  });
  window.addEventListener("resize", () => chart.resize());
})();
