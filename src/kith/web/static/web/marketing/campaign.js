// Campaign page charts: the lift of conversion (points) and revenue per recipient against the
// holdout as floating bars spanning the 95 % interval with the estimate as a point; the funnel
// per variant and holdout as grouped bars.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("campaign-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var lift = document.getElementById("campaign-lift-chart");
    if (lift) {
      new window.Chart(lift, {
        data: {
          labels: [data.labels.conversion, data.labels.revenue],
          datasets: [
            { type: "bar", label: data.labels.interval, backgroundColor: "#93c5fd",
              data: [[data.conversion[0], data.conversion[2]], [data.revenue[0], data.revenue[2]]] },
            { type: "scatter", label: data.labels.estimate, backgroundColor: "#1d4ed8",
              data: [{ x: data.labels.conversion, y: data.conversion[1] }, { x: data.labels.revenue, y: data.revenue[1] }] }
          ]
        },
        options: { indexAxis: "x", scales: { y: { beginAtZero: true } } }
      });
    }
    var funnel = document.getElementById("campaign-funnel-chart");
    if (funnel) {
      var f = data.funnel;
      new window.Chart(funnel, {
        type: "bar",
        data: {
          labels: f.groups,
          datasets: [
            { label: data.labels.sent, data: f.sent, backgroundColor: "#cbd5e1" },
            { label: data.labels.opened, data: f.opened, backgroundColor: "#93c5fd" },
            { label: data.labels.clicked, data: f.clicked, backgroundColor: "#60a5fa" },
            { label: data.labels.converted, data: f.converted, backgroundColor: "#16a34a" }
          ]
        }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
