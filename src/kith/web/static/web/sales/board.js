// Kanban board: drag a card to another column, or press its "Move…" button (keyboard), to move
// the deal. A lost stage asks for the lost reason first (required). The server answers with
// the whole board re-rendered (new totals); on refusal or cancel the board is reloaded as it was.
(function () {
  "use strict";

  function csrfToken() {
    var headers = document.body.getAttribute("hx-headers");
    try { return JSON.parse(headers)["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function board() { return document.querySelector("[data-board]"); }

  function post(dealId, stageId, lostReason) {
    var root = board();
    var url = root.dataset.moveUrl.replace("/0/", "/" + dealId + "/");
    if (root.dataset.query) url += "?" + root.dataset.query;
    var values = { stage_id: stageId };
    if (lostReason) values.lost_reason = lostReason;
    htmx.ajax("POST", url, {
      target: "#board", swap: "outerHTML", values: values,
      headers: { "X-CSRFToken": csrfToken() },
    });
  }

  function restore() {
    var root = board();
    var url = window.location.pathname + window.location.search;
    htmx.ajax("GET", url, { target: "#board", swap: "outerHTML", select: "#board" }).then(function () {
      var again = board();
      if (again) { var card = again.querySelector("[data-move-card='" + pending.dealId + "']"); if (card) card.focus(); }
    });
    return root;
  }

  var pending = { dealId: null, dropped: false };

  function lostChosen(select) {
    var option = select.options[select.selectedIndex];
    return option && option.dataset.outcome === "lost";
  }

  function syncLost() {
    var dialog = document.getElementById("move-dialog");
    var lost = lostChosen(dialog.querySelector("select[name=stage_id]"));
    dialog.querySelector("[data-lost-field]").hidden = !lost;
    dialog.querySelector("[name=lost_reason]").required = lost;
    dialog.querySelector("[data-lost-error]").hidden = true;
  }

  function ask(dealId, stageId, dropped) {
    var dialog = document.getElementById("move-dialog");
    var card = board().querySelector("[data-deal-id='" + dealId + "']");
    pending = { dealId: dealId, dropped: dropped };
    dialog.querySelector("[data-move-name]").textContent = card ? card.querySelector("a").textContent : "";
    var select = dialog.querySelector("select[name=stage_id]");
    select.value = stageId;
    dialog.querySelector("[name=lost_reason]").value = "";
    syncLost();
    dialog.showModal();
    (lostChosen(select) && dropped ? dialog.querySelector("[name=lost_reason]") : select).focus();
  }

  // Enter on the stage list moves at once (a select does not submit its form by itself).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches("#move-dialog select")) return;
    event.preventDefault();
    syncLost();
    var form = document.getElementById("move-form");
    form.requestSubmit(form.querySelector("button[value=move]"));
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#move-dialog select[name=stage_id]")) syncLost();
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "move-form") return;
    event.preventDefault();
    var dialog = document.getElementById("move-dialog");
    var select = dialog.querySelector("select[name=stage_id]");
    var reason = dialog.querySelector("[name=lost_reason]").value.trim();
    if (event.submitter && event.submitter.value === "cancel") {
      dialog.close();
      if (pending.dropped) restore();
      return;
    }
    if (lostChosen(select) && !reason) {
      dialog.querySelector("[data-lost-error]").hidden = false;
      dialog.querySelector("[name=lost_reason]").focus();
      return;
    }
    dialog.close();
    post(pending.dealId, select.value, reason);
  });

  document.addEventListener("cancel", function (event) {  // Escape closes the dialog
    if (event.target.id === "move-dialog" && pending.dropped) restore();
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-move-card]");
    if (!button) return;
    var list = button.closest(".deal-cards");
    ask(button.dataset.moveCard, list.dataset.stageId, false);
  });

  function init(root) {
    var el = (root || document).querySelector("[data-board]");
    if (!el || el.dataset.sortable || typeof Sortable === "undefined") return;
    el.dataset.sortable = "1";
    el.querySelectorAll(".deal-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "deals",
        animation: 120,
        draggable: ".deal-card",
        filter: ".more, .card-move",
        preventOnFilter: false,
        // Mouse-event dragging behaves the same in every browser and in automated tests.
        forceFallback: true,
        fallbackTolerance: 3,
        onEnd: function (event) {
          if (event.from === event.to) return;
          var dealId = event.item.dataset.dealId;
          if (event.to.dataset.outcome === "lost") {
            ask(dealId, event.to.dataset.stageId, true);
            return;
          }
          post(dealId, event.to.dataset.stageId, "");
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  document.addEventListener("htmx:responseError", function () {
    if (board()) window.location.reload();
  });
})();
