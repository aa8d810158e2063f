// The return-visit statistics' chart (ECharts): each question's average score (bars, 1–5) and its number of
// answers (a second bar on its own axis), from the page's JSON; no inline script, so the CSP holds.
document.addEventListener("DOMContentLoaded", function () {
  var element = document.querySelector("[data-chart='visit_stats']");
  var source = document.getElementById("visit-stats-data");
  if (!window.echarts || !element || !source) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element);
  chart.setOption({
    color: ["#0b5cab", "#b25e09"],
    aria: { enabled: true },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [
      { type: "value", min: 0, max: 5, name: data.average.name },
      { type: "value", minInterval: 1, name: data.answers.name }
    ],
    series: [
      { type: "bar", name: data.average.name, data: data.average.values },
      { type: "bar", name: data.answers.name, yAxisIndex: 1, data: data.answers.values }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
