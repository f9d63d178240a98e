// Probabilistic forecast charts: the simulated revenue distribution (bars), the backtest
// (actual and weighted sum as lines, the P10–P90 band filled) and the reliability curve.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("forecast-mc-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var hist = document.getElementById("forecast-mc-chart");
    if (hist) {
      new window.Chart(hist, {
        type: "bar",
        data: {
          labels: data.histogram.edges,
          datasets: [{ label: data.labels.draws, data: data.histogram.counts, backgroundColor: "#93c5fd" }]
        },
        options: { plugins: { legend: { display: false } } }
      });
    }
    var back = document.getElementById("forecast-backtest-chart");
    if (back) {
      var b = data.backtest;
      new window.Chart(back, {
        type: "line",
        data: {
          labels: b.months,
          datasets: [
            { label: data.labels.p90, data: b.p90, borderColor: "#bfdbfe", backgroundColor: "rgba(147,197,253,0.3)", fill: "+1" },
            { label: data.labels.p10, data: b.p10, borderColor: "#bfdbfe", fill: false },
            { label: data.labels.p50, data: b.p50, borderColor: "#2563eb", borderDash: [4, 4] },
            { label: data.labels.weighted, data: b.weighted, borderColor: "#f59e0b" },
            { label: data.labels.actual, data: b.actual, borderColor: "#16a34a", borderWidth: 3 }
          ]
        },
        options: { scales: { y: { beginAtZero: true } } }
      });
    }
    var rel = document.getElementById("forecast-reliability-chart");
    if (rel && data.reliability.length) {
      new window.Chart(rel, {
        type: "scatter",
        data: {
          datasets: [
            { label: data.labels.model, data: data.reliability.map(function (p) { return { x: p.predicted, y: p.observed }; }), showLine: true, borderColor: "#2563eb" },
            { label: data.labels.perfect, data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, borderColor: "#9ca3af", borderDash: [4, 4] }
          ]
        },
        options: { scales: { x: { min: 0, max: 1 }, y: { min: 0, max: 1 } } }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
