// Client pages: register the service worker (offline Today and exercises, Background Sync of the outbox).
// Logging out clears this device's copy in outbox.js (it first warns about entries not sent yet).
(function () {
  "use strict";
  var script = document.currentScript;
  if ("serviceWorker" in navigator && script) {
    navigator.serviceWorker.register(script.dataset.sw, { scope: "/" }).catch(function () { /* no offline use */ });
  }
})();
