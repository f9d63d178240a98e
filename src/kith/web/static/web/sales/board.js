// Kanban board: drag a card to another column to move the deal. The server answers with the
// whole board re-rendered (new totals); on refusal the board is reloaded as it was.
(function () {
  "use strict";

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function init(root) {
    var board = (root || document).querySelector("[data-board]");
    if (!board || board.dataset.sortable || typeof Sortable === "undefined") return;
    board.dataset.sortable = "1";
    board.querySelectorAll(".deal-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "deals",
        animation: 120,
        draggable: ".deal-card",
        filter: ".more",
        // Mouse-event dragging behaves the same in every browser and in automated tests.
        forceFallback: true,
        fallbackTolerance: 3,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var dealId = event.item.dataset.dealId;
          var stageId = event.to.dataset.stageId;
          var url = board.dataset.moveUrl.replace("/0/", "/" + dealId + "/");
          if (board.dataset.query) url += "?" + board.dataset.query;
          htmx.ajax("POST", url, {
            target: "#board",
            swap: "outerHTML",
            values: { stage_id: stageId },
            headers: { "X-CSRFToken": csrfToken() },
          });
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  document.addEventListener("htmx:responseError", function (event) {
    if (document.querySelector("[data-board]")) {
      window.location.reload();
    }
  });
})();
