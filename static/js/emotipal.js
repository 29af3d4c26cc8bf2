// Small helpers shared by all pages. Exercise pages have their own script (exercise.js).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  // Polling (hx-trigger="every 2s": a running export, power runs) is the page, not the person: the server's
  // idle timeout (accounts/idle.py) does not count it, or an open tab would keep a session alive for ever.
  var trigger = (event.detail.elt && event.detail.elt.getAttribute && event.detail.elt.getAttribute("hx-trigger")) || "";
  if (/^\s*every\s/.test(trigger)) { event.detail.headers["X-EmotiPal-Background"] = "1"; }
});

// The phone menu: the topbar gets .has-menu (CSS folds the list at narrow widths only) and the button opens
// and closes it; Escape closes it and gives the focus back to the button.
document.addEventListener("DOMContentLoaded", function () {
  var bar = document.querySelector(".topbar");
  var button = bar && bar.querySelector(".menu-toggle");
  if (!button) { return; }
  bar.classList.add("has-menu");
  function set(open) {
    bar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.addEventListener("click", function () { set(!bar.classList.contains("open")); });
  bar.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("open")) { set(false); button.focus(); }
  });
});
