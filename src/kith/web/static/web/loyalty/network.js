// A contact's relationship network drawn with Cytoscape.js: contacts (circles), companies
// (squares), the contact itself highlighted; edges labelled with the relationship.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("loyalty-network");
    var source = document.getElementById("loyalty-network-data");
    if (!box || !source || typeof window.cytoscape === "undefined") return;
    var data = JSON.parse(source.textContent);
    var elements = data.nodes.map(function (n) { return { data: n }; }).concat(
      data.edges.map(function (e, i) { return { data: Object.assign({ id: "e" + i }, e) }; })
    );
    window.cytoscape({
      container: box,
      elements: elements,
      layout: { name: "cose", animate: false },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 11, "background-color": "#93c5fd" } },
        { selector: "node[kind = 'company']", style: { shape: "round-rectangle", "background-color": "#fcd34d" } },
        { selector: "node[?root]", style: { "background-color": "#2563eb", "border-width": 3, "border-color": "#1e3a8a" } },
        { selector: "edge", style: { label: "data(label)", "font-size": 9, width: 1.5, "curve-style": "bezier",
                                     "target-arrow-shape": "triangle", "line-color": "#94a3b8", "target-arrow-color": "#94a3b8" } },
        { selector: "edge[kind = 'referred_by']", style: { "line-color": "#16a34a", "target-arrow-color": "#16a34a" } }
      ]
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
