// Survey page skip logic: a question with data-show-if {"question": n, "min", "max", "choices"}
// shows only while the earlier answer matches (the server applies the same rule on submit).
(function () {
  "use strict";
  function answer(form, position) {
    var picked = Array.prototype.filter.call(
      form.querySelectorAll('[name="q' + position + '"]'),
      function (el) { return el.checked || el.type === "hidden" || el.tagName === "TEXTAREA"; }
    ).map(function (el) { return el.value; });
    return picked;
  }
  function apply(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var rule = JSON.parse(box.getAttribute("data-show-if"));
      var given = answer(form, rule.question);
      var shown = false;
      if (rule.choices) {
        shown = given.some(function (v) { return rule.choices.indexOf(v) >= 0; });
      } else if (given.length && given[0] !== "") {
        var n = parseInt(given[0], 10);
        shown = (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
      }
      box.hidden = !shown;
    });
  }
  function init() {
    var form = document.querySelector(".survey-form");
    if (!form) return;
    form.addEventListener("change", function () { apply(form); });
    apply(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
