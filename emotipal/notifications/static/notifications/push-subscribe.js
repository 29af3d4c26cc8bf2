// Subscribes this browser to push reminders. Permission is asked only when the client clicks "Allow":
// browsers (rightly) punish pages that ask on load, and a client should know why they are asked.
(function () {
  "use strict";
  const card = document.getElementById("push-card");
  if (!card) return;
  const words = document.getElementById("push-words").dataset;
  const status = document.getElementById("push-status");
  const onButton = document.getElementById("push-on");
  const offButton = document.getElementById("push-off");
  const csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  function say(text, on) {
    status.textContent = text;
    // The hidden attribute (emotipal.css makes [hidden] win over .btn's display).
    onButton.hidden = on;
    offButton.hidden = !on;
  }

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function post(body) {
    return fetch(card.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then((r) => { if (!r.ok) throw new Error(String(r.status)); return r; });
  }

  function registration() {
    // The app's service worker (sw.js, which imports push-sw.js); pwa.js has usually registered it already.
    return navigator.serviceWorker.getRegistration().then(
      (found) => found || navigator.serviceWorker.register(card.dataset.sw, { scope: "/" })
    ).then(() => navigator.serviceWorker.ready);
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(words.unsupported, false);
    onButton.hidden = true;
    return;
  }
  say(Notification.permission === "denied" ? words.denied : words.off, false);
  registration().then((reg) => reg.pushManager.getSubscription()).then((sub) => {
    if (Notification.permission !== "denied") say(sub ? words.on : words.off, !!sub);
  }).catch(() => say(words.off, false));

  onButton.addEventListener("click", () => {
    Notification.requestPermission().then((permission) => {
      if (permission !== "granted") { say(words.denied, false); return null; }
      return registration().then((reg) => reg.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(card.dataset.key),
      })).then((sub) => post(sub.toJSON())).then(() => say(words.on, true));
    }).catch(() => say(words.failed, false));
  });

  offButton.addEventListener("click", () => {
    registration().then((reg) => reg.pushManager.getSubscription()).then((sub) => {
      if (!sub) return null;
      return post({ remove: true, endpoint: sub.endpoint }).then(() => sub.unsubscribe());
    }).then(() => say(words.off, false)).catch(() => say(words.failed, true));
  });
})();
