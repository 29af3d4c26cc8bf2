// The outbox in the service worker: Background Sync sends what waits on the phone even when no EmotiPal page
// is open. Imported by sw.js after outbox-store.js (pwa.SERVICE_WORKER_IMPORTS). It sends as the page would:
// the session cookie goes with the request and the CSRF token is the one the last page of this user saved.
/* global EmotiPalOutboxStore */
(function () {
  "use strict";
  var store = self.EmotiPalOutboxStore;
  if (!store) { return; }
  var TAG = "emotipal-outbox";

  function sendWaiting() {
    return store.session().then(function (session) {
      // Only the user of the last page: another account's sends on a shared phone wait for its owner.
      if (!session || !session.user || !session.csrf) { return 0; }
      return store.flush(session.user, session.csrf, function (item, result) {
        if (result.status !== "kept") { store.tell({ type: result.status, key: item.key, url: result.url || "" }); }
      });
    }).then(function (left) {
      // A rejected sync is retried by the browser later (with a back-off): do that while something waits.
      if (left) { throw new Error(left + " outbox entries still waiting"); }
    });
  }

  self.addEventListener("sync", function (event) {
    if (event.tag === TAG) { event.waitUntil(sendWaiting()); }
  });
})();
