// Live presence badges (/ws/presence/): any element with data-presence-provider="<id>"
// follows that provider's state. The labels come from the page (#presence-labels).
(function () {
  "use strict";

  const badges = document.querySelectorAll("[data-presence-provider]");
  const labelsScript = document.getElementById("presence-labels");
  if (!badges.length || !labelsScript || !("WebSocket" in window)) return;

  const WATCH_MAX = 60; // the server takes at most this many ids (docs/realtime.md)
  const labels = JSON.parse(labelsScript.textContent);
  const ids = Array.from(new Set(Array.from(badges, (el) => Number(el.dataset.presenceProvider))))
    .filter((id) => Number.isSafeInteger(id) && id > 0)
    .slice(0, WATCH_MAX);
  const retryAfter = (window.Aizuchi && window.Aizuchi.retryAfter) || ((_event, delay) => delay);
  let delay = 1000;

  function show(providerId, state) {
    document.querySelectorAll(`[data-presence-provider="${providerId}"]`).forEach((el) => {
      Object.keys(labels).forEach((known) => el.classList.remove("presence-" + known));
      el.classList.add("presence-" + state);
      el.dataset.state = state;
      el.textContent = labels[state] || state;
    });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/presence/");
    socket.addEventListener("open", () => {
      delay = 1000;
      socket.send(JSON.stringify({ type: "watch", provider_ids: ids }));
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "presence.snapshot") {
        Object.entries(message.states).forEach(([id, state]) => show(id, state));
      } else if (message.type === "presence.changed") {
        show(message.provider_id, message.state);
      }
    });
    socket.addEventListener("close", (event) => {
      const wait = retryAfter(event, delay);
      if (wait === null) return; // the badges keep the states the page was rendered with
      setTimeout(connect, wait);
      delay = Math.min(delay * 2, 30000);
    });
  }

  connect();
})();
