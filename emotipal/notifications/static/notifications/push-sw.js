// Push handlers of EmotiPal's service worker: self-contained, so that sw.js can importScripts() it and it
// can also serve alone. The payload is {title, body, link}; link is the reminder's signed link, which
// records the opening and then opens Today.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const title = data.title || "EmotiPal";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    data: { link: data.link || "/today/" },
    tag: "emotipal-reminder", // a newer reminder replaces an unread older one instead of piling up
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const link = (event.notification.data && event.notification.data.link) || "/today/";
  // Only our own origin: a link from elsewhere in a payload must never be opened.
  const target = new URL(link, self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(self.clients.openWindow(target.href));
});
