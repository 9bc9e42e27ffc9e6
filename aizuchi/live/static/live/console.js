// The provider's standby page (/ws/standby/): state switch, rings, answer or decline.
// Without JavaScript the same page works with plain forms.
(function () {
  "use strict";

  const root = document.querySelector("[data-console]");
  if (!root || !("WebSocket" in window)) return;

  const pingMs = Number(root.dataset.pingSeconds || 10) * 1000;
  const ringing = root.querySelector("[data-ringing]");
  const template = document.getElementById("ring-template");
  const offline = root.querySelector("[data-console-offline]");
  const soundButton = root.querySelector("[data-sound]");
  const texts = {};
  document.getElementById("console-texts").content.querySelectorAll("[data-key]").forEach((el) => {
    texts[el.dataset.key] = el.textContent.trim();
  });

  // What other parts of the site add to a ring (the customer's card): an HTML fragment
  // from the URL a section of the page names, its "0" standing for the session id.
  const ringPart = root.querySelector("[data-ring-part-url]");

  function ringMore(element, id) {
    const slot = element.querySelector("[data-ring-more]");
    if (!ringPart || !slot) return;
    const url = ringPart.dataset.ringPartUrl.replace(/\/0\/$/, `/${Number(id)}/`);
    fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : ""))
      .then((html) => { if (html && element.isConnected) slot.innerHTML = html; })
      .catch(() => {});
  }

  let socket = null;
  let pinger = null;
  let delay = 1000;
  const retryAfter = (window.Aizuchi && window.Aizuchi.retryAfter) || ((_event, wait) => wait);
  let audio = null;
  let ringTimer = null;
  const rings = new Map(); // session id -> {element, until}

  // A soft two-tone chime made on the spot (no audio file to load), repeated while ringing.
  function chime() {
    if (!audio) return;
    const now = audio.currentTime;
    [660, 880].forEach((frequency, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.35 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.35 + 0.3);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.35);
      osc.stop(now + i * 0.35 + 0.32);
    });
  }

  soundButton.addEventListener("click", () => {
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    audio.resume();
    soundButton.setAttribute("aria-pressed", "true");
    soundButton.classList.remove("outline");
    chime();
  });

  function fill(template_, values) {
    return template_.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key]));
  }

  function showState(state, afterSession) {
    root.querySelectorAll("[data-state]").forEach((button) => {
      const on = button.dataset.state === state;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("outline", !on);
    });
    root.querySelector("[data-current-state]").textContent = texts["state_" + state] || state;
    const after = root.querySelector("[data-after-session]");
    after.hidden = state !== "in_session";
    if (afterSession) root.querySelector("[data-after-label]").textContent = texts["state_" + afterSession] || afterSession;
    document.title = document.title.replace(/^\(.+?\) /, "");
  }

  function updateRings() {
    const now = Date.now();
    rings.forEach((ring, id) => {
      const seconds = Math.max(0, Math.round((ring.until - now) / 1000));
      ring.element.querySelector("[data-ring-countdown]").textContent = fill(texts.seconds_left, { seconds });
      if (seconds === 0) removeRing(id);
    });
    if (rings.size) chime();
    else { clearInterval(ringTimer); ringTimer = null; }
  }

  function addRing(ring) {
    if (rings.has(ring.id)) return;
    ringing.querySelectorAll(`[data-ring="${ring.id}"]`).forEach((el) => el.remove());
    const element = template.content.firstElementChild.cloneNode(true);
    element.dataset.ring = String(ring.id);
    element.querySelector("[data-ring-customer]").textContent = ring.customer;
    element.querySelector("[data-ring-channel]").textContent = texts[ring.channel] || ring.channel;
    element.querySelector("[data-ring-newcomer]").hidden = !ring.newcomer;
    element.querySelector("[data-ring-appointment]").hidden = !ring.by_appointment;
    element.querySelector("[data-ring-accept]").addEventListener("click", () => send({ type: "accept", session_id: ring.id }));
    element.querySelector("[data-ring-decline]").addEventListener("click", () => send({ type: "decline", session_id: ring.id }));
    ringing.append(element);
    ringMore(element, ring.id);
    rings.set(ring.id, { element, until: Date.parse(ring.ring_until) });
    if (!ringTimer) ringTimer = setInterval(updateRings, 1000);
    updateRings();
    document.title = "(☎) " + document.title.replace(/^\(.+?\) /, "");
  }

  function removeRing(id) {
    const ring = rings.get(id);
    if (ring) ring.element.remove();
    rings.delete(id);
    ringing.querySelectorAll(`[data-ring="${id}"]`).forEach((el) => el.remove());
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function handle(message) {
    switch (message.type) {
      case "standby.state":
        showState(message.state, message.after_session);
        message.ringing.forEach(addRing);
        break;
      case "presence.changed":
        showState(message.state, message.after_session);
        break;
      case "session.ringing":
        addRing(message.session);
        break;
      case "session.accepted":
        location.href = message.url;
        break;
      case "session.ended":
        removeRing(message.session_id);
        break;
      case "error":
        if (message.message && message.in_reply_to !== "ping") {
          offline.textContent = message.message;
          offline.hidden = false;
        }
        break;
      default:
        break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.dataset.socket);
    socket.addEventListener("open", () => {
      delay = 1000;
      offline.hidden = true;
      clearInterval(pinger);
      pinger = setInterval(() => send({ type: "ping" }), pingMs);
    });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(pinger);
      offline.textContent = texts.disconnected;
      offline.hidden = false;
      const wait = retryAfter(event, delay);
      if (wait === null) return; // signed out (the page reloads to the login) or not theirs
      setTimeout(connect, wait);
      delay = Math.min(delay * 2, 10000);
    });
  }

  // The state buttons go through the socket when it is open (no page reload).
  root.querySelector("[data-state-form]").addEventListener("submit", (event) => {
    if (socket && socket.readyState === WebSocket.OPEN && event.submitter) {
      event.preventDefault();
      send({ type: "set_state", state: event.submitter.value });
    }
  });

  connect();
})();
