// Copy button for an invitation link. Without JavaScript (or clipboard access) the link stays in a read-only
// text field the admin can select and copy by hand; the button is shown only when the script runs.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy-target"));
  if (!field) { return; }
  button.hidden = false;
  var label = button.textContent;
  function say(text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2500);
  }
  button.addEventListener("click", function () {
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(button.getAttribute("data-copied-text")); },
        function () { say(button.getAttribute("data-failed-text")); }
      );
      return;
    }
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
    say(button.getAttribute(copied ? "data-copied-text" : "data-failed-text"));
  });
});
