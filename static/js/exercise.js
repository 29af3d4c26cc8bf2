// Exercise page: repeating groups, active time on task, and drafts that survive a lost connection.
(function () {
  "use strict";
  var form = document.getElementById("exercise-form");
  if (!form) { return; }
  var storeKey = "emotipal-draft-" + form.dataset.assignment;
  var statusLine = document.getElementById("draft-status");

  var addRow = window.EmotiPalGroups.addRow;

  // --- active time on task: counted only while the page is visible and the client did something recently --
  var IDLE_AFTER = 60;
  var lastActivity = Date.now();
  var unsent = 0;
  ["input", "keydown", "pointerdown", "scroll", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function () { lastActivity = Date.now(); }, { passive: true });
  });
  setInterval(function () {
    if (document.visibilityState === "visible" && (Date.now() - lastActivity) / 1000 < IDLE_AFTER) { unsent += 1; }
  }, 1000);

  // --- drafts: saved on the server by htmx; kept on the device when the connection fails ---------------
  function snapshot() {
    var values = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { values.push([name, value]); }
    });
    return { savedAt: Math.floor(Date.now() / 1000), values: values };
  }
  function restore(saved) {
    saved.values.forEach(function (pair) {
      var name = pair[0];
      form.querySelectorAll("[data-group]").forEach(function (group) {
        var prefix = group.dataset.group + ".";
        if (name.indexOf(prefix) === 0) {
          while (!form.querySelector('[name="' + CSS.escape(name) + '"]') && addRow(group)) { /* add rows */ }
        }
      });
      form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") { if (el.value === pair[1]) { el.checked = true; } }
        else { el.value = pair[1]; }
      });
    });
  }
  var pending = 0;
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt !== form) { return; }
    pending = unsent;
    event.detail.parameters.active_seconds = String(pending);
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) { return; }
    if (event.detail.successful) {
      unsent = Math.max(0, unsent - pending);
      localStorage.removeItem(storeKey);
      statusLine.classList.remove("offline");
    } else {
      localStorage.setItem(storeKey, JSON.stringify(snapshot()));
      statusLine.classList.add("offline");
      statusLine.textContent = form.dataset.offlineText;
    }
  });
  window.addEventListener("online", function () { htmx.trigger(form, "retry-save"); });
  setInterval(function () { if (localStorage.getItem(storeKey)) { htmx.trigger(form, "retry-save"); } }, 15000);

  var local = localStorage.getItem(storeKey);
  if (local) {
    try {
      var saved = JSON.parse(local);
      if (saved.savedAt >= parseInt(form.dataset.serverSaved || "0", 10)) {
        restore(saved);
        htmx.trigger(form, "retry-save");
      }
    } catch (e) { localStorage.removeItem(storeKey); }
  }

  form.addEventListener("submit", function () {
    document.getElementById("active-seconds").value = String(unsent);
    localStorage.removeItem(storeKey);
    var button = document.getElementById("submit-entry");
    // Double taps send one entry anyway (idempotency key); this just shows that it is on its way.
    setTimeout(function () { button.disabled = true; button.textContent = form.dataset.sendingText; }, 0);
  });
})();
