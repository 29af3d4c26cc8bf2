// The outbox's storage and its one way of sending, shared by the pages (outbox.js) and the service worker
// (outbox-sw.js, Background Sync). IndexedDB, not localStorage: the worker can read it, and it survives the
// page being closed. One record per send, keyed by its idempotency key; a record leaves the device only when
// the server acknowledged the entry (the endpoint makes one entry per key, so a retry is always safe).
(function (scope) {
  "use strict";
  var DB = "emotipal-outbox";
  var QUEUE = "queue";  // {key, user, assignment, url, title, values, queuedAt, attention?}
  // {key, user, url, title, at, shown}: where a send landed, for a tab that waited while another sent it, and
  // for the next page to say "Sent" when the worker sent it with no page open.
  var SENT = "sent";
  var META = "meta";  // {id: "session", user, csrf, lang}: what the worker needs to send as the page would
  var CHANNEL = "emotipal-outbox";
  var DAY = 86400000;
  var SEND_TIMEOUT = 10000;
  var opening = null;

  function open() {
    if (opening) { return opening; }
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore(QUEUE, { keyPath: "key" });
        db.createObjectStore(SENT, { keyPath: "key" });
        db.createObjectStore(META, { keyPath: "id" });
      };
      request.onsuccess = function () {
        var db = request.result;
        // Logging out deletes the database: let go at once, or the deletion would wait for this page.
        db.onversionchange = function () { db.close(); opening = null; };
        db.onclose = function () { opening = null; };
        resolve(db);
      };
      request.onerror = function () { opening = null; reject(request.error); };
      request.onblocked = function () { opening = null; reject(new Error("outbox blocked")); };
    });
    return opening;
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var request = work(tx.objectStore(store));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all() { return run(QUEUE, "readonly", function (s) { return s.getAll(); }).then(function (r) { return r || []; }); }
  function get(key) { return run(QUEUE, "readonly", function (s) { return s.get(key); }); }
  function put(item) { return run(QUEUE, "readwrite", function (s) { return s.put(item); }); }
  function remove(key) { return run(QUEUE, "readwrite", function (s) { return s.delete(key); }); }
  function session() { return run(META, "readonly", function (s) { return s.get("session"); }); }
  function setSession(value) {
    value.id = "session";
    return run(META, "readwrite", function (s) { return s.put(value); });
  }
  function sentTo(key) {
    return run(SENT, "readonly", function (s) { return s.get(key); }).then(function (r) { return r || null; });
  }
  // Receipts are kept a day: enough for tabs left open, and no growing store.
  function receipt(item, url) {
    var now = Date.now();
    return run(SENT, "readwrite", function (s) {
      s.openCursor().onsuccess = function (event) {
        var cursor = event.target.result;
        if (!cursor) { return; }
        if (now - cursor.value.at > DAY) { cursor.delete(); }
        cursor.continue();
      };
      return s.put({ key: item.key, user: item.user, url: url, title: item.title || "", at: now, shown: false });
    });
  }
  function unshown(user) {
    return run(SENT, "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (r) { return r.user === user && !r.shown; });
    });
  }
  function markShown(key) {
    return run(SENT, "readwrite", function (s) {
      var request = s.get(key);
      request.onsuccess = function () {
        if (request.result) { request.result.shown = true; s.put(request.result); }
      };
      return null;
    });
  }
  function destroy() {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB);
      request.onsuccess = request.onerror = function () { resolve(); };
      setTimeout(resolve, 3000);  // a connection that does not let go must not keep anyone logged in
    });
  }

  function tell(message) {
    if (typeof BroadcastChannel === "undefined") { return; }
    var channel = new BroadcastChannel(CHANNEL);
    channel.postMessage(message);
    channel.close();
  }

  // A readable reason for a refused send, from the page the server answered with (its #form-error line).
  function reasonFrom(html) {
    var match = /id="form-error"[^>]*>([\s\S]*?)<\/p>/.exec(html || "");
    if (!match) { return ""; }
    return match[1].replace(/<[^>]*>/g, "").replace(/&#x27;|&#39;/g, "'").replace(/&quot;/g, '"')
      .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
  }

  // One try. "sent": the server has the entry (it redirected to the sent page, which marks itself with a
  // header; a login page after an expired session does not). "attention": the server refused it for good
  // (4xx: field errors, the homework ended): the client has to decide. "kept": offline, a server error,
  // logged out, a stale CSRF token: stays queued for the next try.
  function send(item, token) {
    var body = new URLSearchParams();
    item.values.forEach(function (pair) { if (pair[0] !== "csrfmiddlewaretoken") { body.append(pair[0], pair[1]); } });
    body.append("csrfmiddlewaretoken", token);
    // A send that hangs (a stalled mobile connection, a captive portal) would hold the outbox lock and keep
    // every later send of every tab waiting: give up after a while and retry it (its key makes that safe).
    var abort = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, SEND_TIMEOUT) : null;
    return fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token },
      signal: abort ? abort.signal : undefined,
    }).then(function (response) {
      clearTimeout(timer);
      if (response.ok && response.headers.get("X-EmotiPal-Sent-Entry")) {
        return receipt(item, response.url).then(function () { return remove(item.key); })
          .then(function () { return { status: "sent", url: response.url }; });
      }
      // 403 is the CSRF check or a session of someone else: logging in again fixes it, so it is retried.
      if (response.status >= 400 && response.status < 500 && response.status !== 403) {
        return response.text().then(function (html) {
          item.attention = { code: response.status, html: response.status === 400 ? html : "", reason: reasonFrom(html) };
          return put(item).then(function () { return { status: "attention", html: item.attention.html }; });
        });
      }
      return { status: "kept" };
    }, function () { clearTimeout(timer); return { status: "kept" }; });
  }

  // Send every waiting entry of this user, one sender at a time across tabs and the worker. onResult(item,
  // result) hears each; resolves with how many are still waiting to be retried.
  function flush(user, token, onResult) {
    function go() {
      return all().then(function (items) {
        var waiting = items.filter(function (i) { return i.user === user && !i.attention; });
        var left = 0;
        return waiting.reduce(function (chain, item) {
          return chain.then(function () {
            // Another sender may have delivered it while this one waited for the lock.
            return get(item.key).then(function (current) {
              if (!current || current.attention) {
                return sentTo(item.key).then(function (r) { if (r) { onResult(item, { status: "sent", url: r.url }); } });
              }
              return send(current, token).then(function (result) {
                if (result.status === "kept") { left += 1; }
                onResult(current, result);
              });
            });
          });
        }, Promise.resolve()).then(function () { return left; });
      });
    }
    return navigator.locks ? navigator.locks.request(DB, go) : go();
  }

  scope.EmotiPalOutboxStore = {
    DB: DB, CHANNEL: CHANNEL, all: all, get: get, put: put, remove: remove, session: session,
    setSession: setSession, sentTo: sentTo, unshown: unshown, markShown: markShown, destroy: destroy, tell: tell, send: send, flush: flush,
    reasonFrom: reasonFrom,
  };
})(self);
