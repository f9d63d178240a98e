// Kith: keyboard shortcuts and small form helpers. Plain JS, no build step.
(function () {
  "use strict";

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function rowLinks() {
    return Array.from(document.querySelectorAll("[data-list] [data-row] .row-link"));
  }

  // Global keys: "/" search, j/k (or arrows when a row is focused) move through a list,
  // x ticks the focused row.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var search = document.getElementById("global-search");
    if (event.key === "/" && search) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    var links = rowLinks();
    if (!links.length) return;
    var current = links.indexOf(document.activeElement);
    var inList = current !== -1;
    var down = event.key === "j" || (inList && event.key === "ArrowDown");
    var up = event.key === "k" || (inList && event.key === "ArrowUp");
    if (down || up) {
      event.preventDefault();
      var next = current === -1 ? 0 : current + (down ? 1 : -1);
      next = Math.max(0, Math.min(links.length - 1, next));
      links[next].focus();
      links[next].closest("tr").scrollIntoView({ block: "nearest" });
    } else if (event.key === "x" && inList) {
      var box = links[current].closest("tr").querySelector('input[type="checkbox"]');
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    }
  });

  // Live search dropdown: arrows move through hits, Escape closes, Enter on the box submits
  // the form (the full results page).
  document.addEventListener("keydown", function (event) {
    var panel = document.getElementById("search-results");
    if (!panel) return;
    var input = document.getElementById("global-search");
    var hits = Array.from(panel.querySelectorAll("a[role=option]"));
    var inPanel = panel.contains(document.activeElement);
    if (event.key === "Escape" && (inPanel || document.activeElement === input)) {
      panel.innerHTML = "";
      input.focus();
      return;
    }
    if (!hits.length || !(inPanel || document.activeElement === input)) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var i = hits.indexOf(document.activeElement);
      if (event.key === "ArrowDown") i = i + 1 >= hits.length ? 0 : i + 1;
      else i = i <= 0 ? -1 : i - 1;
      (i === -1 ? input : hits[i]).focus();
    }
  });
  document.addEventListener("click", function (event) {
    var form = document.querySelector(".global-search");
    var panel = document.getElementById("search-results");
    if (form && panel && !form.contains(event.target)) panel.innerHTML = "";
  });

  // Select-all checkbox and the selected count on the bulk bar.
  function updateCount() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) return;
    var n = document.querySelectorAll('input[name="ids"]:checked').length;
    label.textContent = n ? n + " ✓" : "";
  }
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t.matches && t.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = t.checked; });
    }
    if (t.matches && t.matches("[data-bulk-action]")) showBulkInputs(t.value);
    updateCount();
  });
  function showBulkInputs(action) {
    document.querySelectorAll("[data-bulk-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-bulk-for") !== action;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("[data-bulk-action]");
    if (select) showBulkInputs(select.value);
  });
  document.addEventListener("htmx:afterSwap", updateCount);

  // "Add another" on form rows: copy the last row with the next index and empty values.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    var rows = button.parentElement.querySelectorAll("[data-row-template]");
    var last = rows[rows.length - 1];
    if (!last || rows.length >= 20) return;
    var copy = last.cloneNode(true);
    var from = rows.length - 1;
    var to = rows.length;
    var swap = function (value) {
      return value.replace("-" + from + "-", "-" + to + "-");
    };
    copy.querySelectorAll("[name],[id],[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        if (el.hasAttribute(attr)) el.setAttribute(attr, swap(el.getAttribute(attr)));
      });
      if (el.type === "radio") { el.value = String(to); el.checked = false; }
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if ("value" in el) el.value = "";
      el.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = String(to + 1); });
    copy.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    last.after(copy);
    var first = copy.querySelector("input:not([type=radio]), select");
    if (first) first.focus();
  });

  // Enter in a company finder picks the first match instead of submitting the form.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches(".picker-search")) return;
    event.preventDefault();
    var select = event.target.closest(".picker").querySelector("select");
    if (select) select.focus();
  });

  // The Menu button (phones) shows and hides the modules.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-menu-toggle]");
    if (!toggle) return;
    var bar = toggle.closest(".topbar");
    var open = !bar.classList.contains("menu-open");
    bar.classList.toggle("menu-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Copy button for the new API token.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim());
  });

  // Phones: list rows become cards, so every cell needs its column's name beside it (copied from
  // the header, also after htmx swaps a table in), and a long filter form folds behind a button
  // that says how many filters are set.
  var PHONE = window.matchMedia("(max-width: 720px)");

  function labelCells(root) {
    root.querySelectorAll("table.records").forEach(function (table) {
      var names = Array.from(table.querySelectorAll("thead th")).map(function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.from(row.children).forEach(function (cell, index) {
          if (names[index] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[index]);
        });
      });
    });
  }

  function activeFilters(form) {
    return Array.from(form.elements).filter(function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
      if (el.type === "checkbox" || el.type === "radio") return el.checked;
      return el.value !== "";
    }).length;
  }

  function foldFilters(root) {
    root.querySelectorAll("form.filters").forEach(function (form) {
      if (form.hasAttribute("data-foldable") || form.querySelectorAll(".field").length < 3) return;
      form.setAttribute("data-foldable", "");
      if (!form.id) form.id = "filters-" + Math.random().toString(36).slice(2, 8);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "filters-toggle";
      button.setAttribute("aria-controls", form.id);
      var label = document.body.getAttribute("data-filters-label") || "Filters";
      function update() {
        var count = activeFilters(form);
        button.textContent = count ? label + " (" + count + ")" : label;
        button.setAttribute("aria-expanded", form.classList.contains("filters-open") ? "true" : "false");
      }
      button.addEventListener("click", function () {
        form.classList.toggle("filters-open");
        update();
      });
      form.addEventListener("change", update);
      form.parentNode.insertBefore(button, form);
      update();
    });
  }

  function phoneLayout(root) {
    labelCells(root);
    if (PHONE.matches) foldFilters(root);
  }
  document.addEventListener("DOMContentLoaded", function () { phoneLayout(document); });
  document.addEventListener("htmx:afterSwap", function (event) { labelCells(event.target); });
  PHONE.addEventListener("change", function () { phoneLayout(document); });

  // The command palette: Ctrl/⌘-K opens it from anywhere (a text box included), arrows move
  // through its results, Enter opens one, Escape closes (the dialog's own behaviour); "?" shows
  // the shortcuts. "Log a call on …" lands on the contact with the composer set to a call.
  document.addEventListener("keydown", function (event) {
    var palette = document.getElementById("palette");
    if (!palette) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
      event.preventDefault();
      if (!palette.open) palette.showModal();
      var input = document.getElementById("palette-input");
      input.focus();
      input.select();
      return;
    }
    if (event.key === "?" && !typing(event.target) && !palette.open) {
      var help = document.getElementById("shortcuts");
      if (help && !help.open) { event.preventDefault(); help.showModal(); }
      return;
    }
    if (!palette.open || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) return;
    var hits = Array.from(palette.querySelectorAll("#palette-results a[role=option]"));
    if (!hits.length) return;
    event.preventDefault();
    var i = hits.indexOf(document.activeElement);
    if (event.key === "ArrowDown") i = i + 1 >= hits.length ? 0 : i + 1;
    else i = i <= 0 ? -1 : i - 1;
    (i === -1 ? document.getElementById("palette-input") : hits[i]).focus();
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the box opens the first result, as in every palette.
    if (event.key !== "Enter" || !event.target || event.target.id !== "palette-input") return;
    var first = document.querySelector("#palette-results a[role=option]");
    if (first) { event.preventDefault(); first.click(); }
  });
  function callComposer() {
    if (window.location.hash !== "#log-call") return;
    var kind = document.querySelector("[data-composer] select[name=kind]");
    if (!kind) return;
    kind.value = "call";
    kind.dispatchEvent(new Event("change", { bubbles: true }));
    var subject = document.querySelector("[data-composer] [name=subject]");
    if (subject) subject.focus();
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  document.addEventListener("DOMContentLoaded", callComposer);
  document.addEventListener("htmx:afterSwap", callComposer);
})();
