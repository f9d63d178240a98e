// Loyalty dashboard charts: points issued / redeemed / expired per month (bars), members per
// tier (doughnut). The figures are also in the page's tables.
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("loyalty-chart");
    var source = document.getElementById("loyalty-chart-data");
    if (!canvas || !source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          { label: data.labels.issued, data: data.issued, backgroundColor: "#86efac" },
          { label: data.labels.redeemed, data: data.redeemed, backgroundColor: "#93c5fd" },
          { label: data.labels.expired, data: data.expired, backgroundColor: "#fca5a5" }
        ]
      },
      options: { scales: { y: { beginAtZero: true } } }
    });
    var tiers = document.getElementById("loyalty-tier-chart");
    if (!tiers) return;
    new window.Chart(tiers, {
      type: "doughnut",
      data: {
        labels: data.tiers,
        datasets: [{ label: data.labels.members, data: data.tier_members }]
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
