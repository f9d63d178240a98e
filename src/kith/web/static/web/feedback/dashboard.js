// Feedback dashboard: the score per period (line, right axis) over the positive, neutral and
// negative answers (stacked bars, left axis).
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("feedback-chart");
    var source = document.getElementById("feedback-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      data: {
        labels: data.periods,
        datasets: [
          { type: "line", label: data.labels.value, data: data.value, borderColor: "#2563eb", yAxisID: "score" },
          { type: "bar", label: data.labels.positive, data: data.positive, backgroundColor: "#86efac", stack: "a", yAxisID: "y" },
          { type: "bar", label: data.labels.neutral, data: data.neutral, backgroundColor: "#fde68a", stack: "a", yAxisID: "y" },
          { type: "bar", label: data.labels.negative, data: data.negative, backgroundColor: "#fca5a5", stack: "a", yAxisID: "y" }
        ]
      },
      options: {
        scales: {
          y: { beginAtZero: true, stacked: true, position: "left" },
          score: { position: "right", grid: { drawOnChartArea: false } }
        }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
