// The copy button for the 编号 on /r/status. Without JavaScript the button stays hidden and the number is
// plain text that a long press selects whole (public.css: user-select: all).
(function () {
  "use strict";
  var button = document.querySelector("button[data-copy]");
  if (!button) return;
  var target = document.getElementById(button.getAttribute("data-copy"));
  var result = document.getElementById("copy-result");

  function selectNumber() {
    var range = document.createRange();
    range.selectNodeContents(target);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function legacyCopy() {
    selectNumber();
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function say(copied) {
    if (copied) {
      button.textContent = "已复制";
      result.textContent = "编号已复制，可以粘贴到备忘录或发给自己保存。";
    } else {
      selectNumber();
      result.textContent = "没能自动复制：编号已选中，请长按后选“复制”。";
    }
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    var text = target.textContent.trim();
    // WeChat's browser on plain http has no navigator.clipboard: fall back to the old copy command.
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(true); }, function () { say(legacyCopy()); });
    } else {
      say(legacyCopy());
    }
  });
})();
