// Aizuchi page shell: the live notification stream (see docs/realtime.md).
(function () {
  "use strict";

  const url = document.body.dataset.notificationsUrl;
  if (!url || !("WebSocket" in window)) return;

  const badge = document.querySelector("[data-unread-count]");
  const toasts = document.querySelector("[data-toasts]");
  let delay = 1000;

  function setUnread(count) {
    if (!badge) return;
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }

  function toast(title, body) {
    if (!toasts) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    const strong = document.createElement("strong");
    strong.textContent = title;
    const text = document.createElement("span");
    text.textContent = body;
    item.append(strong, text);
    toasts.append(item);
    setTimeout(() => item.remove(), 8000);
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
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return; // signed out: stop trying
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }

  document.documentElement.dataset.realtime = "on";
  connect();
})();
