// Aizuchi page shell: what every socket of a page does when it closes, and the live
// notification stream (see docs/realtime.md).
(function () {
  "use strict";

  const SIGNED_OUT_RELOAD = "aizuchi:signed-out-reload";

  // The server no longer knows this browser as signed in (signed out in another tab, the
  // session expired): show the page as it is now, which is the login page where one is
  // needed. At most once a minute, so a confused server cannot make the page reload in a loop.
  function signedOut() {
    try {
      const last = Number(sessionStorage.getItem(SIGNED_OUT_RELOAD) || 0);
      if (Date.now() - last < 60000) return;
      sessionStorage.setItem(SIGNED_OUT_RELOAD, String(Date.now()));
    } catch (error) {
      return; // no storage: stay as we are rather than risk reloading forever
    }
    location.reload();
  }

  // How long to wait before opening a closed socket again, in ms, or null to stop
  // (close codes of docs/realtime.md). `delay` is the socket's own back-off.
  function retryAfter(event, delay) {
    switch (event.code) {
      case 4401: // signed out
        signedOut();
        return null;
      case 4403: // not yours
      case 4404: // no such socket or session
        return null;
      case 4429: // too many sockets or refused messages: come back much later
        return Math.max(delay, 60000);
      default: // the network, a server restart: try again
        return delay;
    }
  }

  window.Aizuchi = Object.assign(window.Aizuchi || {}, { retryAfter });

  const url = document.body.dataset.notificationsUrl;
  if (!url || !("WebSocket" in window)) return;

  const badge = document.querySelector("[data-unread-count]");
  const messagesBadge = document.querySelector("[data-messages-unread]");
  const toasts = document.querySelector("[data-toasts]");
  let delay = 1000;

  function setUnread(count) {
    if (!badge) return;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function toast(title, body, href) {
    if (!toasts) return;
    const item = document.createElement(href ? "a" : "div");
    item.className = "toast";
    item.setAttribute("role", "status");
    if (href) item.href = href;
    const strong = document.createElement("strong");
    strong.textContent = title;
    const text = document.createElement("span");
    text.textContent = body;
    item.append(strong, text);
    toasts.append(item);
    setTimeout(() => item.remove(), 8000);
  }

  // Direct messages waiting for this person (docs/realtime.md, messages.unread): the
  // header's badge, and a new message as a toast unless this page shows its thread.
  function messagesUnread(message) {
    if (messagesBadge) {
      messagesBadge.textContent = String(message.unread_count);
      messagesBadge.hidden = message.unread_count === 0;
    }
    if (!message.thread_id) return;
    if (document.querySelector(`[data-thread-id="${message.thread_id}"]`)) return;
    toast(message.title || message.sender_name, message.preview, `/messages/t/${message.thread_id}/`);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + url);
    socket.addEventListener("open", () => { delay = 1000; });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "notifications.state") {
        setUnread(message.unread_count);
      } else if (message.type === "notification.created") {
        setUnread(message.unread_count);
        toast(message.notification.title, message.notification.body);
      } else if (message.type === "messages.unread") {
        messagesUnread(message);
      }
    });
    socket.addEventListener("close", (event) => {
      const wait = retryAfter(event, delay);
      if (wait === null) return;
      setTimeout(connect, wait);
      delay = Math.min(delay * 2, 30000);
    });
  }

  document.documentElement.dataset.realtime = "on";
  connect();
})();

// Copy buttons (bank transfer details): one tap puts the value on the clipboard. Shown
// only where the clipboard can be written; without it the value is still selectable.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.hidden = false;
    const label = button.textContent;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(button.dataset.copy).then(() => {
        button.textContent = button.dataset.copiedText || label;
        setTimeout(() => { button.textContent = label; }, 2000);
      });
    });
  });
})();
