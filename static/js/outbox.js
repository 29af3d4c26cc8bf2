// The outbox: exercise sends that have not reached the server yet. Each is kept on this device, with its
// idempotency key, until the server has the entry, so pressing send without a connection loses nothing and
// a send retried after a reload still makes one entry. Loaded on every page of a logged-in user: a queued
// send goes out on the next page open and when the connection comes back. (A later step moves this to
// IndexedDB and a service worker.)
(function () {
  "use strict";
  var STORE = "emotipal-outbox";
  var script = document.currentScript;
  var texts = (script && script.dataset) || {};
  var user = texts.user || "";

  function read() {
    try {
      var items = JSON.parse(localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) { return []; }  // a damaged store must not break every page; it holds nothing readable
  }
  function write(items) {
    if (items.length) { localStorage.setItem(STORE, JSON.stringify(items)); } else { localStorage.removeItem(STORE); }
  }
  function put(item) {
    var items = read().filter(function (i) { return i.key !== item.key; });
    items.push(item);
    write(items);
  }
  function remove(key) { write(read().filter(function (i) { return i.key !== key; })); }
  // Only this user's sends: on a shared phone another account's queue stays until its owner logs in.
  function mine() { return read().filter(function (i) { return i.user === user; }); }
  function find(assignment) {
    return mine().filter(function (i) { return i.assignment === String(assignment); })[0] || null;
  }

  // Where each recent send landed, so that a tab whose send another tab delivered still gets to its sent
  // page. Kept a day: enough for tabs left open, and no growing store.
  var SENT = "emotipal-outbox-sent";
  function receipts() {
    try { return JSON.parse(localStorage.getItem(SENT) || "{}") || {}; } catch (e) { return {}; }
  }
  function receipt(key, url) {
    var all = receipts();
    var now = Date.now();
    Object.keys(all).forEach(function (k) { if (now - all[k].at > 86400000) { delete all[k]; } });
    all[key] = { url: url, at: now };
    localStorage.setItem(SENT, JSON.stringify(all));
  }
  function sentTo(key) { var r = receipts()[key]; return r ? r.url : null; }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    // randomUUID exists only in secure contexts (https, localhost); a clinic LAN over http still has this.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A send the server refused with field errors goes back to being a draft: the exercise page restores it.
  function keepAsDraft(item) {
    localStorage.setItem("emotipal-draft-" + item.assignment,
      JSON.stringify({ savedAt: Math.floor(Date.now() / 1000), values: item.values }));
  }

  // One try. "sent": the server has the entry (it redirected to the sent page, which marks itself with a
  // header; a login page after an expired session does not). "invalid": 400 with field errors, the client
  // has to change something. "kept": offline, a server error, logged out, ...: stays queued for the next try.
  function send(item) {
    var body = new URLSearchParams();
    item.values.forEach(function (pair) { if (pair[0] !== "csrfmiddlewaretoken") { body.append(pair[0], pair[1]); } });
    var token = csrfToken();  // this page's token: the one saved with the send may be from an older session
    body.append("csrfmiddlewaretoken", token);
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token },
    }).then(function (response) {
      if (response.ok && response.headers.get("X-EmotiPal-Sent-Entry")) {
        receipt(item.key, response.url);
        remove(item.key);
        return { status: "sent", url: response.url };
      }
      if (response.status === 400) {
        return response.text().then(function (html) {
          keepAsDraft(item);
          remove(item.key);
          return { status: "invalid", html: html };
        });
      }
      return { status: "kept" };
    }, function () { return { status: "kept" }; });
  }

  function notice(text, link) {
    var main = document.getElementById("main");
    if (!main || !text) { return; }
    var box = document.getElementById("outbox-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "outbox-notice";
      box.className = "msg";
      box.setAttribute("role", "status");
      main.prepend(box);
    }
    box.textContent = text + (link ? " " : "");
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.textContent = texts.openText || link;
      box.appendChild(a);
    }
  }

  // The page showing that exercise handles the result itself (it calls preventDefault); any other page
  // says in a line what happened.
  function announce(item, result) {
    var event = new CustomEvent("emotipal:outbox", { cancelable: true, detail: { item: item, result: result } });
    if (!document.dispatchEvent(event)) { return; }
    if (result.status === "sent") { notice(texts.sentText); }
    else if (result.status === "invalid") { notice(texts.invalidText, item.url); }
  }

  var flushing = null;
  var again = false;
  function run() {
    return mine().reduce(function (chain, item) {
      return chain.then(function () {
        // Another tab may have sent it while this one waited for the lock.
        if (!read().some(function (i) { return i.key === item.key; })) {
          var url = sentTo(item.key);
          if (url) { announce(item, { status: "sent", url: url }); }
          return null;
        }
        return send(item).then(function (result) { announce(item, result); });
      });
    }, Promise.resolve()).then(function () {
      if (mine().length && texts.pendingText) {
        var onPage = document.getElementById("exercise-form");
        if (!onPage || mine().some(function (i) { return i.assignment !== onPage.dataset.assignment; })) {
          notice(texts.pendingText);
        }
      }
    });
  }
  function flush() {
    if (flushing) { again = true; return flushing; }  // a send queued during a flush gets its own turn
    // One tab at a time: two tabs sending the same key would still make one entry, but need not try.
    var locked = navigator.locks ? navigator.locks.request(STORE, run) : run();
    flushing = Promise.resolve(locked).catch(function () { return null; }).then(function () {
      flushing = null;
      if (again) { again = false; return flush(); }
      return null;
    });
    return flushing;
  }

  window.EmotiPalOutbox = {
    put: put, remove: remove, find: find, flush: flush, newKey: newKey, sentTo: sentTo, user: user, SENT: SENT,
  };
  window.addEventListener("online", flush);
  // After the deferred page scripts ran, so the exercise page is listening when results come in.
  document.addEventListener("DOMContentLoaded", function () { if (mine().length) { flush(); } });
})();
