{% autoescape off %}// EmotiPal service worker (served by emotipal/platform/pwa.py at /sw.js, scope "/").
// Precaches the offline shell; keeps the client's own Today and exercise pages, network first, so they open
// without a connection. A page is kept only when the server marked it as the client's own ({{ header }}),
// never a logged-out page and never anyone else's; logging out clears everything (Clear-Site-Data).
"use strict";
var SHELL = "emotipal-shell-v1";
var PAGES = "emotipal-pages";
var SHELL_FILES = {{ shell_json }};
// The offline page in each language; the client's is the one their last page saved (outbox-store.js).
var OFFLINE_PAGES = {{ offline_json }};
var OFFLINE_DEFAULT = OFFLINE_PAGES["{{ default_language }}"];
// Hook for handlers added by other parts (the outbox: Background Sync; web push: push and notificationclick).
var IMPORTS = {{ imports_json }};
if (IMPORTS.length) { importScripts.apply(self, IMPORTS); }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("emotipal-shell-") === 0 && n !== SHELL; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  var store = self.EmotiPalOutboxStore;
  var session = store ? store.session().catch(function () { return null; }) : Promise.resolve(null);
  return session.then(function (s) {
    return caches.match((s && OFFLINE_PAGES[s.lang]) || OFFLINE_DEFAULT);
  });
}

function keepPage(request, response) {
  if (response.ok && !response.redirected && response.headers.get("{{ header }}")) {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
  } else if (response.redirected && new URL(response.url).pathname === "{{ login_url }}") {
    caches.delete(PAGES);  // signed out (or the session ended): nothing of the last user stays
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) { return keepPage(request, response); },
      function () {
        return caches.open(PAGES).then(function (cache) { return cache.match(request); }).then(function (hit) {
          return hit || offlinePage();
        });
      }));
    return;
  }
  if (SHELL_FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(fetch(request).catch(function () { return caches.match(request); }));
  }
});
{% endautoescape %}
