// Service metrics chart: created/resolved per month (bars) and average CSAT (line, right axis).
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("service-chart");
    var source = document.getElementById("service-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      data: {
        labels: data.months,
        datasets: [
          { type: "bar", label: data.labels.created, data: data.created, backgroundColor: "#93c5fd", yAxisID: "y" },
          { type: "bar", label: data.labels.resolved, data: data.resolved, backgroundColor: "#86efac", yAxisID: "y" },
          { type: "line", label: data.labels.csat, data: data.csat, borderColor: "#f59e0b", yAxisID: "csat" }
        ]
      },
      options: {
        scales: {
          y: { beginAtZero: true, position: "left" },
          csat: { min: 1, max: 5, position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
