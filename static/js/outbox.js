// The outbox on the page: exercise sends that have not reached the server yet. Each waits on this device in
// IndexedDB (outbox-store.js), with its idempotency key, until the server acknowledged the entry, so pressing
// send without a connection loses nothing and a send retried after a reload still makes one entry. Sent on
// page open, when the connection comes back, and by the service worker's Background Sync (outbox-sw.js).
// The page says what waits (#outbox-status), what the server refused (#outbox-attention), and logging out
// warns before deleting unsent entries with everything else of this device.
(function () {
  "use strict";
  var store = window.EmotiPalOutboxStore;
  var script = document.currentScript;
  var user = (script && script.dataset.user) || "";
  var textsBlock = document.getElementById("outbox-texts");
  var texts = textsBlock ? JSON.parse(textsBlock.textContent) : {};
  var OLD = "emotipal-outbox";  // the localStorage queue of the first version
  var SYNC_TAG = "emotipal-outbox";
  var tab = Math.random().toString(36).slice(2);  // to ignore this tab's own broadcasts
  var cache = [];  // this user's queued sends, as last read: exercise.js asks synchronously
  var changes = 0;  // puts and removes made by this page, so a read that started before one is not applied
  var unsaved = {};  // key: true while its write to IndexedDB is under way (not yet safe on the phone)
  var sentTitles = {};  // key: title, of the sends this page says were sent
  var announced = {};

  function format(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, name) { return values[name]; });
  }
  function waitingText(n) {
    if (!texts.waitingForms) { return ""; }
    var size = texts.waitingIndex.length;
    var at = n < size ? n : (n % 100 <= 10 ? 100 + (n % 100) : n % 100);
    return format(texts.waitingForms[texts.waitingIndex[at]], { n: n });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Entries queued by the localStorage version move here once, with their keys, so they still arrive once.
  function migrate() {
    var old;
    try { old = JSON.parse(localStorage.getItem(OLD) || "[]"); } catch (e) { old = []; }
    if (!Array.isArray(old) || !old.length) { return Promise.resolve(); }
    return Promise.all(old.filter(function (i) { return i && i.key; }).map(function (i) { return store.put(i); }))
      .then(function () { localStorage.removeItem(OLD); localStorage.removeItem(OLD + "-sent"); });
  }
  function reload() {
    var at = changes;
    return store.all().then(function (items) {
      // A send put or removed here while this read was under way is newer than what it read: read again,
      // or the page would say "1 waiting" with two on the phone.
      if (changes !== at) { return reload().then(function () { return null; }); }
      // Only this user's sends: on a shared phone another account's queue stays until its owner logs in.
      cache = items.filter(function (i) { return i.user === user; });
      return store.unshown(user);
    }).then(function (receipts) {
      if (receipts === null) { return; }
      // Sent while no page of this user was open (the worker's Background Sync): say so once.
      receipts.forEach(function (r) { if (!announced[r.key]) { announce(r, { status: "sent", url: r.url }); } });
      render();
    }, function () { return null; });
  }
  function mine() { return cache; }
  // "Waiting" only once it is written: a page closed a moment after the send must not have promised it.
  function waiting() { return cache.filter(function (i) { return !i.attention && !unsaved[i.key]; }); }
  function find(assignment) {
    return cache.filter(function (i) { return i.assignment === String(assignment); })[0] || null;
  }

  function registerSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.getRegistration().then(function (registration) {
      if (registration && registration.sync) { return registration.sync.register(SYNC_TAG); }
      return null;
    }).catch(function () { return null; });  // no Background Sync: page open and `online` still send
  }

  // keep: the client is still fixing a refused entry (typing), so it stays refused until sent again.
  function put(item, keep) {
    if (!keep) { delete item.attention; }  // sent again: the server decides anew
    changes += 1;
    cache = cache.filter(function (i) { return i.key !== item.key; }).concat([item]);
    unsaved[item.key] = true;
    render();
    return store.put(item).then(function () {
      delete unsaved[item.key];
      render();
      store.tell({ type: "changed", from: tab });
      registerSync();
    }, function () { delete unsaved[item.key]; render(); return null; });
  }
  function remove(key) {
    changes += 1;
    cache = cache.filter(function (i) { return i.key !== key; });
    render();
    return store.remove(key).then(function () { store.tell({ type: "changed", from: tab }); });
  }

  // --- what the page says -----------------------------------------------------------------------------
  function render() {
    var status = document.getElementById("outbox-status");
    if (status) {
      var lines = Object.keys(sentTitles).map(function (k) { return format(texts.sent, { title: sentTitles[k] }); });
      if (waiting().length) { lines.push(waitingText(waiting().length)); }
      var text = lines.join(" · ");
      if (status.textContent !== text) { status.textContent = text; }
      status.hidden = !text;
    }
    var box = document.getElementById("outbox-attention");
    if (!box) { return; }
    box.textContent = "";
    var refused = cache.filter(function (i) { return i.attention; });
    box.hidden = !refused.length;
    refused.forEach(function (item) {
      var row = document.createElement("li");
      row.className = "outbox-refused";
      row.dataset.key = item.key;
      var head = document.createElement("strong");
      head.textContent = format(texts.attention, { title: item.title || "" });
      var reason = document.createElement("span");
      reason.className = "outbox-reason";
      reason.textContent = item.attention.reason || texts.refused;
      var open = document.createElement("a");
      open.href = item.url;
      open.textContent = texts.open;
      var del = document.createElement("button");
      del.type = "button";
      del.className = "link";
      del.textContent = texts["delete"];
      del.addEventListener("click", function () {
        if (window.confirm(texts.confirmDelete)) { remove(item.key); }
      });
      row.append(head, " ", reason, " ", open, " ", del);
      box.appendChild(row);
    });
  }

  // The page showing that exercise handles the result itself (it calls preventDefault); any other page
  // shows it in the status line.
  function announce(item, result) {
    if (result.status === "sent") {
      if (announced[item.key]) { return; }
      announced[item.key] = true;
      store.markShown(item.key).catch(function () { return null; });
    }
    var event = new CustomEvent("emotipal:outbox", { cancelable: true, detail: { item: item, result: result } });
    if (!document.dispatchEvent(event)) { return; }
    if (result.status === "sent" && item.title) { sentTitles[item.key] = item.title; }
  }

  var flushing = null;
  var again = false;
  function run() {
    if (!user) { return Promise.resolve(); }
    return store.flush(user, csrfToken(), function (item, result) {
      if (result.status !== "kept") { store.tell({ type: result.status, key: item.key, url: result.url || "", from: tab }); }
      announce(item, result);
    }).then(function () { return reload(); }, function () { return reload(); });
  }
  function flush() {
    if (flushing) { again = true; return flushing; }  // a send queued during a flush gets its own turn
    flushing = run().catch(function () { return null; }).then(function () {
      flushing = null;
      if (again) { again = false; return flush(); }
      return null;
    });
    return flushing;
  }

  // Another tab or the service worker sent or refused something: show it, and let the exercise page of it
  // go where it landed.
  if (typeof BroadcastChannel !== "undefined") {
    new BroadcastChannel(store.CHANNEL).onmessage = function (event) {
      var message = event.data || {};
      if (message.from === tab) { return; }
      var known = cache.filter(function (i) { return i.key === message.key; })[0];
      reload().then(function () {
        if (message.type === "sent" && known) { announce(known, { status: "sent", url: message.url }); }
        if (message.type === "attention") {
          var item = cache.filter(function (i) { return i.key === message.key; })[0];
          if (item) { announce(item, { status: "attention", html: item.attention.html }); }
        }
      });
    };
  }

  // --- logging out: warn about unsent entries, then leave nothing of this user on the device -------------
  function clearDevice() {
    var jobs = [store.destroy()];
    try { localStorage.clear(); } catch (e) { /* storage blocked */ }
    if (window.caches) {
      jobs.push(caches.keys().then(function (names) { return Promise.all(names.map(function (n) { return caches.delete(n); })); }));
    }
    return Promise.all(jobs).catch(function () { return null; });
  }
  function logOut(form) {
    clearDevice().then(function () { form.dataset.cleared = "1"; form.submit(); });
  }
  function warn(form) {
    var dialog = document.getElementById("logout-dialog");
    if (!dialog || !dialog.showModal) {  // no dialog support: the browser's own question
      if (window.confirm(texts.logoutWarning || "")) { logOut(form); }
      return;
    }
    var count = document.getElementById("logout-dialog-count");
    function fill() { count.textContent = waitingText(mine().length); }
    fill();
    dialog.onclick = function (event) {
      var choice = event.target.closest && event.target.closest("[data-logout]");
      if (!choice) { return; }
      var what = choice.dataset.logout;
      if (what === "stay") { dialog.close(); }
      else if (what === "anyway") { dialog.close(); logOut(form); }
      else if (what === "send") {
        choice.disabled = true;
        flush().then(function () {
          choice.disabled = false;
          if (!mine().length) { dialog.close(); logOut(form); } else { fill(); }
        });
      }
    };
    dialog.showModal();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-clears-device]") || form.dataset.cleared) { return; }
    event.preventDefault();
    ready.then(function () {
      if (!mine().length) { logOut(form); return null; }
      // Try first: with a connection the warning is not needed at all.
      return flush().then(function () { if (mine().length) { warn(form); } else { logOut(form); } });
    });
  });

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // randomUUID exists only in secure contexts (https, localhost); a clinic LAN over http still has this.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  // What the worker needs to send as this page would, and to show the offline page in this language.
  function saveSession() {
    if (!user) { return null; }
    return store.setSession({ user: user, csrf: csrfToken(), lang: document.documentElement.lang || "" })
      .catch(function () { return null; });
  }
  var ready = migrate().catch(function () { return null; }).then(reload).then(saveSession)
    .then(function () { return null; }, function () { return null; });

  window.EmotiPalOutbox = {
    ready: ready, put: put, remove: remove, find: find, flush: flush, newKey: newKey, user: user,
    all: function () { return store.all(); },
  };
  window.addEventListener("online", flush);
  // After the deferred page scripts ran, so the exercise page is listening when results come in.
  document.addEventListener("DOMContentLoaded", function () {
    ready.then(function () {
      render();
      if (waiting().length) { flush(); }
    });
  });
})();
