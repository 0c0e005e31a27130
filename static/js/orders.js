// 督办: on the new order's form, only the field the chosen 督办事项 needs is shown (the 居委 for a 居委's coverage,
// the number for a case or a quality signal). Without JavaScript every field stays shown and the server reads the
// one that matters.
(function () {
  "use strict";

  function setUp(form) {
    var kind = form.querySelector("[name=subject_kind]");
    if (!kind) return;
    var fields = form.querySelectorAll("[data-subject-kinds]");
    function show() {
      fields.forEach(function (field) {
        field.hidden = field.getAttribute("data-subject-kinds").split(" ").indexOf(kind.value) < 0;
      });
    }
    kind.addEventListener("change", show);
    show();
  }

  function start() {
    document.querySelectorAll("form[data-order-form]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
