// Client pages: register the service worker (offline Today and exercises), and on logging out clear this
// device's copy (caches, IndexedDB, the outbox) also where the browser ignores Clear-Site-Data.
(function () {
  "use strict";
  var script = document.currentScript;
  if ("serviceWorker" in navigator && script) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/" }).catch(function () { /* no offline use */ });
  }
  function clearDevice() {
    var jobs = [];
    try { localStorage.clear(); } catch (e) { /* storage blocked */ }
    if (window.caches) {
      jobs.push(caches.keys().then(function (names) { return Promise.all(names.map(function (n) { return caches.delete(n); })); }));
    }
    if (window.indexedDB && indexedDB.databases) {
      jobs.push(indexedDB.databases().then(function (dbs) {
        dbs.forEach(function (db) { if (db.name) { indexedDB.deleteDatabase(db.name); } });
      }));
    }
    return Promise.all(jobs).catch(function () { return null; });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-clears-device]") || form.dataset.cleared) { return; }
    event.preventDefault();
    clearDevice().then(function () { form.dataset.cleared = "1"; form.submit(); });
  });
})();
