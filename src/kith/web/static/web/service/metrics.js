// Service metrics charts: created/resolved per month (bars) with average CSAT (line, right
// axis); SLA attainment (%, left) with mean first-response and resolution hours (right).
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
    var sla = document.getElementById("service-sla-chart");
    if (!sla) return;
    new window.Chart(sla, {
      type: "line",
      data: {
        labels: data.months,
        datasets: [
          { label: data.labels.sla, data: data.sla, borderColor: "#16a34a", yAxisID: "y" },
          { label: data.labels.first_response, data: data.first_response, borderColor: "#2563eb", yAxisID: "hours" },
          { label: data.labels.resolution, data: data.resolution, borderColor: "#9333ea", yAxisID: "hours" }
        ]
      },
      options: {
        scales: {
          y: { min: 0, max: 100, position: "left" },
          hours: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
