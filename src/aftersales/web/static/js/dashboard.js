// The dashboard's charts (ECharts), drawn from the JSON block the page carries.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) { return; }
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var palette = ["#0b5cab", "#c81e1e", "#1c7c3a", "#b25e09", "#7b4ea3", "#52606d"];
  function series(chart, type, extra) {
    return chart.series.map(function (item) {
      return Object.assign({ type: type, name: item.name, data: item.values }, extra || {});
    });
  }
  function axes(chart, type, extra) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: chart.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: series(chart, type, extra)
    };
  }
  var builders = {
    volume_by_day: function (chart) { return axes(chart, "line", { areaStyle: { opacity: 0.15 } }); },
    volume_by_hour: function (chart) { return axes(chart, "bar"); },
    sla_compliance: function (chart) {
      var option = axes(chart, "bar", { stack: "targets" });
      option.legend = { top: 0 };
      option.tooltip.formatter = function (items) {
        var index = items[0].dataIndex, rate = chart.rates[index];
        var lines = items.map(function (item) { return item.marker + item.seriesName + "：" + item.value; });
        return [chart.labels[index]].concat(lines, [rate === null ? "—" : (rate * 100).toFixed(1) + "%"]).join("<br>");
      };
      return option;
    },
    backlog_by_status: function (chart) {
      return {
        tooltip: { trigger: "item" },
        legend: { bottom: 0 },
        series: [{
          type: "pie", name: chart.series[0].name, radius: ["35%", "65%"], center: ["50%", "45%"], label: { show: false },
          data: chart.labels.map(function (name, index) { return { name: name, value: chart.series[0].values[index] }; })
        }]
      };
    },
    top_fault_types: function (chart) {
      var option = axes(chart, "bar");
      option.xAxis = { type: "value", minInterval: 1 };
      option.yAxis = { type: "category", data: chart.labels, inverse: true };
      return option;
    }
  };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    if (!data[name] || !builders[name]) { return; }
    var chart = echarts.init(element);
    var option = builders[name](data[name]);
    option.color = palette;
    option.aria = { enabled: true };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
