// What a screen reader hears on the staff pages (issue 12), as progressive enhancement: the pages work without it.
// - paimoAnnounce(text, urgent): one sentence into the page's live regions (#announce polite, #announce-alert
//   assertive; templates/base.html), said once: the regions are written only when something happened.
// - The record form's inline check (htmx swaps #flags and each field's message): a field says when it is wrong
//   (aria-invalid follows its message), a new message is said once, and the red flags are said when they change,
//   never again while they stay the same.
// - A page that comes back with errors puts the focus on the first wrong field (when the server did not).
(function () {
  "use strict";

  function announce(text, urgent) {
    var region = document.getElementById(urgent ? "announce-alert" : "announce");
    if (!region || !text) return;
    // Emptied first, so that the same sentence twice (two records sent one after the other) is said twice.
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 60);
  }
  window.paimoAnnounce = announce;

  function messages(root) {
    var found = {};
    Array.prototype.forEach.call(root.querySelectorAll(".field-error[id]"), function (p) {
      found[p.id] = p.textContent.trim();
    });
    return found;
  }

  function flagsSummary() {
    var node = document.querySelector("#flags [data-flags-summary]");
    return node ? node.getAttribute("data-flags-summary") : "";
  }

  function labelOf(control) {
    var label = control.labels && control.labels[0];
    if (!label) {
      var set = control.closest("fieldset");
      label = set && set.querySelector("legend");
    }
    return label ? label.textContent.trim() : "";
  }

  // aria-invalid of each control follows the messages it names (aria-describedby).
  function syncInvalid(form, said) {
    var news = [];
    Array.prototype.forEach.call(form.querySelectorAll("[aria-describedby]"), function (control) {
      if (control.type === "hidden") return;
      var wrong = "";
      control.getAttribute("aria-describedby").split(/\s+/).forEach(function (id) {
        var message = document.getElementById(id);
        if (message && message.classList.contains("field-error") && message.textContent.trim()) {
          wrong = message.textContent.trim();
          if (said[id] !== wrong && news.indexOf(id) === -1) news.push(id);
        }
      });
      if (wrong) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    });
    return news;
  }

  var said = messages(document);
  var lastFlags = flagsSummary();

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "flags") return;
    var form = target.closest("form") || document;
    var news = syncInvalid(form, said);
    var words = news.map(function (id) {
      var control = form.querySelector('[aria-describedby~="' + id + '"]');
      return (control ? labelOf(control) + "：" : "") + document.getElementById(id).textContent.trim();
    });
    said = messages(document);
    var flags = flagsSummary();
    if (flags !== lastFlags) {
      words.push(flags || "风险提示已消除");
      lastFlags = flags;
    }
    announce(words.join("。"));
  });

  function focusFirstWrong() {
    if (document.querySelector("[autofocus]")) return; // the server chose
    var first = document.querySelector('main [aria-invalid="true"]:not([type=hidden])');
    if (first) first.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstWrong);
  else focusFirstWrong();
})();
