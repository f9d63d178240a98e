// Insights dashboard charts: customers and revenue share per segment, the CLV histogram and
// KPI trends. Each chart's figures are also in a table next to it.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("insights-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var segments = document.getElementById("segments-chart");
    if (segments) {
      new window.Chart(segments, {
        data: {
          labels: data.segments.labels,
          datasets: [
            { type: "bar", label: data.segments.names.customers, data: data.segments.customers, backgroundColor: "#93c5fd", yAxisID: "y" },
            { type: "bar", label: data.segments.names.share, data: data.segments.share, backgroundColor: "#fcd34d", yAxisID: "share" }
          ]
        },
        options: { scales: { y: { beginAtZero: true }, share: { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false } } } }
      });
    }
    var clv = document.getElementById("clv-chart");
    if (clv) {
      new window.Chart(clv, {
        type: "bar",
        data: { labels: data.clv.labels, datasets: [{ label: data.clv.name, data: data.clv.counts, backgroundColor: "#86efac" }] },
        options: { scales: { y: { beginAtZero: true } } }
      });
    }
    var kpis = document.getElementById("kpis-chart");
    if (kpis && data.kpis && data.kpis.series) {
      var colours = ["#2563eb", "#16a34a", "#dc2626", "#f59e0b", "#7c3aed"];
      new window.Chart(kpis, {
        type: "line",
        data: {
          labels: data.kpis.labels,
          datasets: data.kpis.series.map(function (s, i) {
            return { label: s.label, data: s.values, borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length] };
          })
        },
        options: { scales: { y: { beginAtZero: true } } }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
