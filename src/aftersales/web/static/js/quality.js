// The quality score rollup's chart (ECharts): average score (bars) and pass rate (line), from the page's JSON.
document.addEventListener("DOMContentLoaded", function () {
  var element = document.querySelector("[data-chart='quality_scores']");
  var source = document.getElementById("quality-data");
  if (!window.echarts || !element || !source) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(element);
  chart.setOption({
    color: ["#0b5cab", "#1c7c3a"],
    aria: { enabled: true },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: data.labels },
    yAxis: [
      { type: "value", min: 0, max: 10, name: data.score.name },
      { type: "value", min: 0, max: 100, name: data.rate.name }
    ],
    series: [
      {
        type: "bar", name: data.score.name, data: data.score.values,
        markLine: { silent: true, symbol: "none", data: [{ yAxis: data.pass_score }] }
      },
      { type: "line", name: data.rate.name, yAxisIndex: 1, data: data.rate.values }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
