// The dispatcher board (tickets/board.html). The map: the current page's jobs on a plain longitude/latitude
// canvas (ECharts, no map tiles), one series per SLA state, with the service points and the technicians'
// home bases; a click on a job highlights its card. The data comes from the list's JSON block, so the map
// is redrawn whenever the list refreshes itself (HTMX polling). No inline script: the CSP allows none.
(function () {
  var LIST = "board-list";
  var HOLD_MS = 5000; // after an action on a card the list waits this long, so its answer can be read
  var chart = null;
  var lastAction = 0;
  var focusedId = null;
  var pickedId = null;

  function mark(id) {
    document.querySelectorAll(".board-card.is-picked").forEach(function (other) { other.classList.remove("is-picked"); });
    var card = document.getElementById("board-" + id);
    if (card) { card.classList.add("is-picked"); }
    return card;
  }

  function highlight(id) {
    var card = mark(id);
    if (!card) { return; }
    pickedId = id;
    card.scrollIntoView({ block: "center" });
    card.focus({ preventScroll: true });
  }

  function draw() {
    var element = document.getElementById("board-map");
    var source = document.getElementById("board-map-data");
    if (!element || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    chart = chart || echarts.init(element);
    var series = data.states.map(function (state) {
      return {
        type: "scatter", name: state.name, symbolSize: 14, z: 3, itemStyle: { color: state.colour },
        data: data.jobs.filter(function (job) { return job.state === state.state; }).map(function (job) {
          return { value: [job.x, job.y], id: job.id, name: job.number, place: job.place };
        })
      };
    });
    var bases = [
      { group: data.points, symbol: "rect", colour: "#0b5cab" },
      { group: data.technicians, symbol: "diamond", colour: "#7b4ea3" }
    ];
    bases.forEach(function (base) {
      series.push({
        type: "scatter", name: base.group.name, symbol: base.symbol, symbolSize: 9, z: 2, itemStyle: { color: base.colour, opacity: 0.7 },
        data: base.group.items.map(function (item) { return { value: [item.x, item.y], name: item.name }; })
      });
    });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "item",
        formatter: function (item) { // names typed by people: escaped, the tooltip is HTML
          var text = echarts.format.encodeHTML;
          var head = text(item.data.name);
          return (item.data.place ? head + "<br>" + text(item.data.place) : head) + " · " + text(item.seriesName);
        }
      },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", scale: true, name: data.axes.x, splitLine: { lineStyle: { type: "dashed" } } },
      yAxis: { type: "value", scale: true, name: data.axes.y, splitLine: { lineStyle: { type: "dashed" } } },
      series: series
    }, { notMerge: true });
    // What was drawn, for people reading the page's source and for the browser tests.
    element.setAttribute("data-points", String(data.jobs.length));
    element.setAttribute("data-bases", String(data.points.items.length + data.technicians.items.length));
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    if (chart) {
      chart.on("click", function (item) { if (item.data && item.data.id) { highlight(item.data.id); } });
      window.addEventListener("resize", function () { chart.resize(); });
    }
    // The district list belongs to the city shown: another city's districts come with the next filtering.
    var city = document.getElementById("city");
    var district = document.getElementById("district");
    if (city && district) {
      var shown = city.value;
      city.addEventListener("change", function () {
        district.value = "";
        district.disabled = city.value !== shown || !city.value;
      });
    }
  });

  // The list's own refresh: not while the tab is hidden, nor right after the dispatcher acted on a card.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (!source || source.id !== LIST) {
      if (source && source.closest && source.closest("#" + LIST)) { lastAction = Date.now(); }
      return;
    }
    if (document.hidden || Date.now() - lastAction < HOLD_MS) { event.preventDefault(); return; }
    var active = document.activeElement;
    focusedId = active && active.id && source.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.id !== LIST && source.closest && source.closest("#" + LIST)) { lastAction = Date.now(); }
  });
  // After a refresh: the map again, the picked card still marked, the focus back where it was.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id !== LIST) { return; }
    draw();
    if (pickedId) { mark(pickedId); }
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) { again.focus({ preventScroll: true }); }
      focusedId = null;
    }
  });
})();
