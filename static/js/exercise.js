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
    // While a send is queued, a draft save reaching the server after it would open a second draft.
    var queued = outbox.find(form.dataset.assignment);
    if (queued && !queued.attention) { event.preventDefault(); return; }
    pending = unsent;
    event.detail.parameters.active_seconds = String(pending);
    // A draft re-sent on a timer or on coming back online is not the client doing something now (idle.py).
    if (event.detail.triggeringEvent && event.detail.triggeringEvent.type === "retry-save") {
      event.detail.headers["X-EmotiPal-Background"] = "1";
    }
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
  window.addEventListener("online", function () {
    if (localStorage.getItem(storeKey)) { htmx.trigger(form, "retry-save"); }
  });
  setInterval(function () { if (localStorage.getItem(storeKey)) { htmx.trigger(form, "retry-save"); } }, 15000);

  // --- sending: the answers stay on the device (the outbox, outbox.js) until the server has the entry ------
  var outbox = window.EmotiPalOutbox;
  var keyInput = form.querySelector('[name="idempotency_key"]');
  var button = document.getElementById("submit-entry");
  var buttonText = button.textContent;
  var sentSeconds = 0;

  function showQueued() {
    statusLine.classList.add("offline");
    statusLine.textContent = form.dataset.queuedText;
  }
  function ready() { button.disabled = false; button.textContent = buttonText; }

  // The server's answer to a send with field errors is this page with the errors marked: copy the marks
  // over, keeping what the client typed (and the timers and rows of this page) as they are.
  function showErrors(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var freshForm = fresh.getElementById("exercise-form");
    form.querySelectorAll("p.error").forEach(function (p) { p.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var old = document.getElementById("form-error");
    if (old) { old.remove(); }
    var alert = fresh.getElementById("form-error");
    if (alert) { form.before(document.importNode(alert, true)); }
    if (freshForm) {
      freshForm.querySelectorAll("p.error").forEach(function (p) {
        var box = p.parentElement;
        var target = null;
        if (box.matches("[data-group]")) {
          target = form.querySelector('[data-group="' + CSS.escape(box.dataset.group) + '"]');
        } else {
          var named = box.querySelector("[name]");
          var mine = named && form.querySelector('[name="' + CSS.escape(named.name) + '"]');
          target = mine && mine.closest(".field");
        }
        if (!target) { return; }
        target.classList.add("has-error");
        var copy = document.importNode(p, true);
        var head = target.querySelector(":scope > legend, :scope > label");
        if (head) { head.after(copy); } else { target.prepend(copy); }
        target.querySelectorAll(":scope > input, :scope > textarea").forEach(function (el) {
          el.setAttribute("aria-invalid", "true");
        });
      });
    }
    statusLine.classList.remove("offline");
    statusLine.textContent = form.dataset.keptText;
    var shown = document.getElementById("form-error") || form.querySelector(".has-error");
    if (shown) { shown.scrollIntoView({ block: "center" }); }
  }

  function showAttention(item) {
    restore(item);
    keyInput.value = item.key;
    if (item.attention.html) { showErrors(item.attention.html); return; }
    statusLine.classList.remove("offline");
    statusLine.textContent = item.attention.reason || form.dataset.refusedText;
  }

  document.addEventListener("emotipal:outbox", function (event) {
    var detail = event.detail;
    if (detail.result.status === "sent") {
      // This page's own send goes where it landed, whoever delivered it (this tab, another, the service worker)
      // and however the news came (the send's answer, a broadcast, or only its receipt, which names no
      // assignment). An earlier practice of this exercise, sent while no page was open, is only mentioned.
      if (detail.item.key !== keyInput.value) { return; }
      event.preventDefault();
      window.location.assign(detail.result.url);
      return;
    }
    if (detail.item.assignment !== form.dataset.assignment) { return; }
    event.preventDefault();
    ready();
    if (detail.result.status === "attention") {
      unsent = Math.max(0, unsent - sentSeconds);  // the server counted them with the draft it kept
      var item = outbox.find(form.dataset.assignment);
      if (item && item.attention) { showAttention(item); }
      else if (detail.result.html) { showErrors(detail.result.html); }
    } else { showQueued(); }
  });

  // Typing after a queued send changes what will be sent, as typing changes a draft.
  function updateQueued() {
    var item = outbox.find(form.dataset.assignment);
    // A refused one keeps what is typed too (it is restored on the next open), and stays refused until sent.
    if (item) { item.values = snapshot().values; outbox.put(item, Boolean(item.attention)); }
  }
  form.addEventListener("input", updateQueued);
  form.addEventListener("change", updateQueued);

  // Runs before any send below (both wait for the outbox to be read; this one was queued first).
  function start() {
    var queued = outbox.find(form.dataset.assignment);
    if (queued && queued.attention) {
      // The server did not take it: the answers and the reason are back on the page, to change and send again.
      showAttention(queued);
    } else if (queued) {
      // Sent earlier without a connection: show what is waiting and keep its key, so it arrives once.
      restore(queued);
      keyInput.value = queued.key;
      showQueued();
    } else {
      // Made on the device, not in the page: a send queued before a reload keeps its key across page loads.
      keyInput.value = outbox.newKey();
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
    }
  }
  outbox.ready.then(start);

  function send() {
    document.getElementById("active-seconds").value = String(unsent);
    var values = snapshot().values;
    var put = outbox.put({
      key: keyInput.value,
      user: outbox.user,
      assignment: form.dataset.assignment,
      url: new URL(form.action, window.location.href).pathname,
      title: form.dataset.title || document.title,
      values: values,
      queuedAt: Math.floor(Date.now() / 1000),
    });
    localStorage.removeItem(storeKey);  // the outbox holds the answers now
    sentSeconds = unsent;
    put.then(function () { outbox.flush(); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();  // fetch, not a page load: offline, the browser's error page would replace this one
    // Double taps send one entry anyway (idempotency key); this just shows that it is on its way.
    button.disabled = true;
    button.textContent = form.dataset.sendingText;
    outbox.ready.then(send);
  });
})();
