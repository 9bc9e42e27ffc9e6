// A live session: chat, the meter, the silence timer (docs/realtime.md, /ws/sessions/<id>/).
// The server decides; this page shows what it says and rebuilds itself from
// `session.state` after every reconnect.
(function () {
  "use strict";

  const root = document.querySelector("[data-session]");
  if (!root || !("WebSocket" in window)) return;

  const role = root.dataset.role;
  const peerRole = role === "customer" ? "provider" : "customer";
  const pingMs = Number(root.dataset.pingSeconds || 10) * 1000;
  const prompts = JSON.parse(document.getElementById("silence-prompts").textContent);
  const $ = (selector) => root.querySelector(selector);
  const list = $("[data-messages]");
  const form = $("[data-composer]");
  const textArea = $("[data-text]");
  const sendButton = $("[data-send]");
  const statusLine = $("[data-status]");
  const errorLine = $("[data-error]");
  const warning = $("[data-warning]");
  const texts = {};
  document.getElementById("session-texts").content.querySelectorAll("[data-key]").forEach((el) => {
    texts[el.dataset.key] = el.textContent.trim();
  });
  const silenceTexts = Array.from(
    (document.getElementById("silence-texts") || { content: { children: [] } }).content.children,
  ).map((el) => el.textContent.trim());

  let socket = null;
  let pinger = null;
  let delay = 1000;
  const retryAfter = (window.Aizuchi && window.Aizuchi.retryAfter) || ((_event, wait) => wait);
  // Messages the page sends on its own (not something the person did): their refusals
  // are not shown.
  const BACKGROUND = ["ping", "chat.typing", "chat.read", "call.state"];
  let offset = 0; // server clock minus this clock, in ms
  let session = null;
  let lastId = 0;
  let ended = false;
  const outbox = new Map(); // client_id -> text, until the server acknowledges it
  const shown = new Map(); // message id -> element
  const listeners = []; // other parts of the page (voice.js) hear every server message
  let lastActivity = 0; // ms, server clock: the last message or voice heard, for the silence timer

  // What voice.js (or anything else on the page) may use.
  root.aizuchi = {
    role,
    peerRole,
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    on(listener) { listeners.push(listener); },
    activity() { lastActivity = serverNow(); },
  };

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key]));
  }

  function serverNow() {
    return Date.now() + offset;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
  }

  // The same rules as billing.pricing.price_session: cap, free allowance, rounding.
  function cost(seconds, tariff) {
    let billed = seconds;
    if (tariff.cap_seconds !== null && tariff.cap_seconds !== undefined) {
      billed = Math.min(billed, tariff.cap_seconds);
    }
    const charged = Math.max(0, billed - tariff.free_seconds);
    if (tariff.rounding === "second") {
      return Math.floor((charged * tariff.price_per_minute_yen) / 60);
    }
    return Math.ceil(charged / 60) * tariff.price_per_minute_yen;
  }

  function setStatus(key) {
    statusLine.textContent = texts[key] || "";
    root.dataset.phase = key;
  }

  function setComposer(enabled) {
    textArea.disabled = !enabled;
    sendButton.disabled = !enabled;
  }

  function showError(text) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
  }

  function render(message) {
    if (shown.has(message.id)) return;
    const pending = list.querySelector(`[data-client-id="${CSS.escape(message.client_id)}"]`);
    const item = pending || document.createElement("li");
    item.className = "bubble " + (message.from === role ? "me" : "them");
    item.dataset.id = String(message.id);
    item.dataset.clientId = message.client_id;
    item.classList.remove("pending");
    item.replaceChildren();
    const body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = message.text;
    const time = document.createElement("time");
    time.className = "chat-time small muted";
    time.dateTime = message.created_at;
    time.textContent = new Date(message.created_at).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
    });
    item.append(body, time);
    if (!pending) list.append(item);
    shown.set(message.id, item);
    outbox.delete(message.client_id);
    lastId = Math.max(lastId, message.id);
    item.scrollIntoView({ block: "end" });
  }

  function markRead(upTo) {
    list.querySelectorAll(".bubble.me").forEach((item) => {
      if (Number(item.dataset.id) <= upTo && !item.querySelector(".chat-read")) {
        const read = document.createElement("span");
        read.className = "chat-read small";
        read.textContent = texts.read;
        item.append(read);
      }
    });
  }

  function sendRead() {
    if (socket && socket.readyState === WebSocket.OPEN && lastId && !document.hidden) {
      const fromPeer = Array.from(shown.values()).some((el) => el.classList.contains("them"));
      if (fromPeer) socket.send(JSON.stringify({ type: "chat.read", up_to: lastId }));
    }
  }

  function apply(state) {
    session = state;
    if (state.status === "requested") setStatus("ringing");
    else if (state.status === "active" && !state.started_at) setStatus("connecting");
    else if (state.status === "active") setStatus(state.present.includes(peerRole) ? "live" : "peer_left");
    else finish();
    setComposer(state.status === "active");
    $("[data-peer-dot]").classList.toggle("is-present", state.present.includes(peerRole));
    const hangUp = $("[data-hang-up]");
    hangUp.dataset.label = hangUp.dataset.label || hangUp.textContent;
    hangUp.textContent =
      state.status === "requested" && role === "customer" ? texts.cancel : hangUp.dataset.label;
  }

  function finish() {
    if (ended) return;
    ended = true;
    setStatus("ended");
    setComposer(false);
    if (socket) socket.close(1000);
    setTimeout(() => { location.href = root.dataset.summaryUrl; }, 1500);
  }

  // The free minutes: how much is left and when charging starts (the server's free_until),
  // then, once, that charging has started.
  function showFree(now) {
    const free = $("[data-free]");
    if (!free) return;
    if (!session.free_until) {
      free.hidden = true;
      return;
    }
    const until = Date.parse(session.free_until);
    const limit = session.limit_at ? Date.parse(session.limit_at) : Infinity;
    free.hidden = false;
    if (now < until) {
      free.dataset.phase = "free";
      const at = new Date(until - offset).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      free.textContent = fill(limit <= until ? texts.free_all : texts.free_left, { time: clock((until - now) / 1000), at });
    } else if (limit > until) {
      free.dataset.phase = "paid";
      free.textContent = texts.free_over;
    } else {
      free.hidden = true;
    }
  }

  function tick() {
    if (!session || !session.started_at || ended) return;
    const now = serverNow();
    const start = Date.parse(session.started_at);
    const end = session.limit_at ? Math.min(now, Date.parse(session.limit_at)) : now;
    const elapsed = Math.max(0, (end - start) / 1000);
    $("[data-elapsed]").textContent = clock(elapsed);
    $("[data-cost]").textContent = "¥" + cost(Math.floor(elapsed), session.tariff).toLocaleString();
    showFree(now);
    const left = $("[data-left]");
    if (session.limit_at) {
      const seconds = (Date.parse(session.limit_at) - now) / 1000;
      left.hidden = false;
      left.textContent = fill(texts.left, { minutes: Math.max(0, Math.ceil(seconds / 60)) });
    }
    if (role === "provider") {
      const lastMessage = session.last_message_at ? Date.parse(session.last_message_at) : 0;
      const since = Math.max(lastMessage, lastActivity, start);
      const silent = Math.max(0, (now - since) / 1000);
      $("[data-silence-time]").textContent = clock(silent);
      const prompt = $("[data-silence-prompt]");
      let index = -1;
      prompts.forEach((limit, i) => { if (silent >= limit) index = i; });
      prompt.hidden = index < 0;
      if (index >= 0) prompt.textContent = silenceTexts[Math.min(index, silenceTexts.length - 1)];
      $("[data-silence]").classList.toggle("is-long", index >= 0);
    }
  }

  function handle(message) {
    listeners.forEach((listener) => listener(message));
    switch (message.type) {
      case "session.state":
        offset = Date.parse(message.server_time) - Date.now();
        message.messages.forEach(render);
        apply(message.session);
        markRead(message.session.read[peerRole]);
        // Anything typed while offline goes again; the server keeps each client id once.
        outbox.forEach((text, clientId) => {
          socket.send(JSON.stringify({ type: "chat.send", client_id: clientId, text }));
        });
        sendRead();
        break;
      case "chat.message":
        render(message.message);
        if (session) session.last_message_at = message.message.created_at;
        if (message.message.from !== role) {
          $("[data-typing]").hidden = true;
          sendRead();
        }
        break;
      case "chat.ack":
        outbox.delete(message.client_id);
        break;
      case "chat.typing":
        if (message.role !== role) $("[data-typing]").hidden = !message.typing;
        break;
      case "chat.read":
        if (message.role !== role) markRead(message.up_to);
        break;
      case "peer.joined":
      case "peer.left":
        if (message.role === peerRole && session) {
          const present = new Set(session.present);
          if (message.type === "peer.joined") present.add(peerRole); else present.delete(peerRole);
          session.present = Array.from(present);
          apply(session);
        }
        break;
      case "session.accepted":
        if (session) { session.status = "active"; apply(session); }
        break;
      case "session.started":
        offset = Date.parse(message.server_time) - Date.now();
        if (session) {
          session.status = "active";
          session.started_at = message.started_at;
          session.limit_at = message.limit_at;
          session.free_until = message.free_until;
          session.present = ["customer", "provider"];
          apply(session);
        }
        break;
      case "session.warning": {
        const minutes = Math.max(1, Math.round(message.seconds_left / 60));
        warning.textContent = fill(message.reason === "points" ? texts.warning_points : texts.warning_limit, { minutes });
        warning.hidden = false;
        break;
      }
      case "session.ended":
        if (session) session.status = message.status;
        finish();
        break;
      case "error":
        if (BACKGROUND.includes(message.in_reply_to)) break;
        if (message.code === "too_fast") showError(texts.too_fast);
        else if (message.errors) showError(Object.values(message.errors).flat().join(" "));
        else if (message.message) showError(message.message);
        break;
      default:
        break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(`${scheme}${location.host}${root.dataset.socket}?after=${lastId}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      clearInterval(pinger);
      pinger = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
      }, pingMs);
    });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(pinger);
      if (ended) return;
      setComposer(false);
      const wait = retryAfter(event, delay);
      if (wait === null) return; // signed out (the page reloads to the login) or not theirs
      setStatus("reconnecting");
      setTimeout(connect, wait);
      delay = Math.min(delay * 2, 10000);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textArea.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    showError("");
    const clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9_-]/g, "");
    outbox.set(clientId, text);
    const item = document.createElement("li");
    item.className = "bubble me pending";
    item.dataset.clientId = clientId;
    item.textContent = text;
    list.append(item);
    socket.send(JSON.stringify({ type: "chat.send", client_id: clientId, text }));
    socket.send(JSON.stringify({ type: "chat.typing", typing: false }));
    textArea.value = "";
    textArea.focus();
  });

  textArea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });

  let typingTimer = null;
  textArea.addEventListener("input", () => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (!typingTimer) socket.send(JSON.stringify({ type: "chat.typing", typing: true }));
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      typingTimer = null;
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "chat.typing", typing: false }));
    }, 3000);
  });

  $("[data-hang-up]").addEventListener("click", () => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"hang_up"}');
  });

  document.addEventListener("visibilitychange", sendRead);
  setInterval(tick, 250);
  connect();
})();
