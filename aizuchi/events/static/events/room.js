// The online group talk room (docs/realtime.md, /ws/events/<id>/room/): chat for everyone,
// the host's mute and remove, and voice as a mesh of peer connections (at most six
// people), signalled through the same socket. The page rebuilds itself from `room.state`
// after every reconnect, asking only for the messages after the last one it shows.
(function () {
  "use strict";

  const root = document.querySelector("[data-room]");
  if (!root || !("WebSocket" in window)) return;

  const eventId = root.dataset.room;
  const me = Number(root.dataset.me);
  const isHost = root.dataset.host === "true";
  const pingMs = Number(root.dataset.pingSeconds || 10) * 1000;
  const $ = (selector) => root.querySelector(selector);
  const list = $("[data-messages]");
  const members = $("[data-members]");
  const form = $("[data-composer]");
  const textArea = $("[data-text]");
  const statusLine = $("[data-status]");
  const errorLine = $("[data-error]");
  const voicePanel = $("[data-voice]");
  const texts = {};
  document.getElementById("room-texts").content.querySelectorAll("[data-key]").forEach((el) => {
    texts[el.dataset.key] = el.textContent.trim();
  });
  const retryAfter = (window.Aizuchi && window.Aizuchi.retryAfter) || ((_event, wait) => wait);

  let socket = null;
  let pinger = null;
  let delay = 1000;
  let lastId = 0;
  let closedForGood = false;
  let iceServers = [];
  let people = [];
  const outbox = new Map(); // client_id -> text, until acknowledged
  const shown = new Set(); // message ids on the page

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function status(key) { statusLine.textContent = texts[key] || ""; }

  function showMessage(message) {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    lastId = Math.max(lastId, message.id);
    const item = document.createElement("li");
    item.dataset.messageId = message.id;
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;
    const text = document.createElement("span");
    text.textContent = message.text;
    item.append(author, text);
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  function button(label, onClick) {
    const el = document.createElement("button");
    el.type = "button";
    el.className = "secondary";
    el.textContent = label;
    el.addEventListener("click", onClick);
    return el;
  }

  function showMembers() {
    members.replaceChildren();
    for (const person of people) {
      const item = document.createElement("li");
      item.dataset.memberId = person.id;
      const name = document.createElement("span");
      const notes = [];
      if (person.provider) notes.push(texts.host);
      if (person.id === me) notes.push(texts.you);
      if (person.muted) notes.push(texts.muted);
      name.textContent = person.name + (notes.length ? ` (${notes.join("・")})` : "");
      item.append(name);
      if (isHost && !person.provider) {
        item.append(button(person.muted ? texts.unmute : texts.mute, () => {
          send({ type: "mute", member_id: person.id, muted: !person.muted });
        }));
        item.append(button(texts.remove, () => {
          if (window.confirm(texts.remove_confirm)) send({ type: "remove", member_id: person.id });
        }));
      }
      members.append(item);
    }
  }

  function showError(message) {
    errorLine.textContent = message;
    errorLine.hidden = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textArea.value.trim();
    if (!text) return;
    const clientId = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    outbox.set(clientId, text);
    send({ type: "chat.send", client_id: clientId, text });
    textArea.value = "";
  });

  function onMessage(message) {
    switch (message.type) {
      case "room.state":
        iceServers = message.ice_servers;
        people = message.members;
        message.messages.forEach(showMessage);
        showMembers();
        // What was sent but never acknowledged goes again (stored once, by its client id).
        outbox.forEach((text, clientId) => send({ type: "chat.send", client_id: clientId, text }));
        voice.reconnected();
        break;
      case "room.message":
        showMessage(message);
        break;
      case "chat.ack":
        outbox.delete(message.client_id);
        errorLine.hidden = true;
        break;
      case "room.muted":
        people = people.map((p) => (p.id === message.member_id ? { ...p, muted: message.muted } : p));
        showMembers();
        break;
      case "room.removed":
        people = people.filter((p) => p.id !== message.member_id);
        showMembers();
        voice.gone(message.member_id);
        break;
      case "voice.joined":
        voice.joined(message.member_id);
        break;
      case "voice.left":
        voice.gone(message.member_id);
        break;
      case "signal":
        voice.signal(message);
        break;
      case "error":
        if (message.in_reply_to === "chat.send") outbox.clear();
        if (message.in_reply_to !== "ping") showError(message.message);
        break;
      default:
        break;
    }
  }

  function connect() {
    status("connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/events/${eventId}/room/?after=${lastId}`);
    socket.addEventListener("open", () => {
      delay = 1000;
      status("connected");
      clearInterval(pinger);
      pinger = setInterval(() => send({ type: "ping" }), pingMs);
    });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      clearInterval(pinger);
      voice.stop(false);
      if ([4403, 4404].includes(event.code)) {
        closedForGood = true;
        status("closed");
        form.hidden = true;
        return;
      }
      if (event.code === 4401) {
        status("signed_out");
        return;
      }
      if (closedForGood) return;
      status("reconnecting");
      const wait = retryAfter(event, delay);
      delay = Math.min(delay * 2, 30000);
      setTimeout(connect, wait);
    });
  }

  // --- voice: one peer connection to each other person in the voice -------------------

  const voice = (function () {
    const none = { reconnected() {}, joined() {}, gone() {}, signal() {}, stop() {} };
    const rtc = window.AizuchiRtc;
    if (!voicePanel || !rtc || !rtc.supported) return none;
    const joinButton = voicePanel.querySelector("[data-voice-join]");
    const leaveButton = voicePanel.querySelector("[data-voice-leave]");
    const voiceStatus = voicePanel.querySelector("[data-voice-status]");
    const audioBox = voicePanel.querySelector("[data-voice-audio]");
    const peers = new Map(); // member id -> { pc, pending, audio }
    let local = null;
    let on = false;

    function show() {
      const connected = [...peers.values()].filter((p) => p.pc.connectionState === "connected").length;
      voicePanel.dataset.state = on ? "on" : "off";
      voicePanel.dataset.connected = String(connected);
      voiceStatus.textContent = !on
        ? texts.voice_off
        : connected
          ? texts.voice_count.replace("%(count)s", String(connected + 1))
          : texts.voice_on;
      joinButton.hidden = on;
      leaveButton.hidden = !on;
    }

    function peer(id) {
      let entry = peers.get(id);
      if (entry) return entry;
      const audio = document.createElement("audio");
      audio.autoplay = true;
      audioBox.append(audio);
      const pc = rtc.peer({
        iceServers,
        local,
        audio,
        signal: (kind, data) => send({ type: "signal", to: id, kind, data }),
      });
      entry = { pc, pending: [], audio };
      pc.addEventListener("connectionstatechange", show);
      peers.set(id, entry);
      return entry;
    }

    function drop(id) {
      const entry = peers.get(id);
      if (!entry) return;
      entry.pc.close();
      entry.audio.remove();
      peers.delete(id);
      show();
    }

    async function start() {
      try {
        local = local || await rtc.microphone();
      } catch (error) {
        voiceStatus.textContent = texts.no_microphone;
        return;
      }
      on = true;
      show();
      send({ type: "voice.join" });
    }

    function stop(tell) {
      if (tell && on) send({ type: "voice.leave" });
      [...peers.keys()].forEach(drop);
      if (!tell) return; // the socket dropped: called again after the reconnect
      on = false;
      if (local) {
        local.getTracks().forEach((track) => track.stop());
        local = null;
      }
      show();
    }

    // Bytes of voice heard from all peers, for whoever watches the page (the browser test).
    setInterval(async () => {
      let bytesIn = 0;
      for (const { pc } of peers.values()) bytesIn += (await rtc.audioStats(pc)).bytesIn;
      voicePanel.dataset.bytesIn = String(bytesIn);
    }, 1000);

    joinButton.addEventListener("click", start);
    leaveButton.addEventListener("click", () => stop(true));
    show();

    return {
      // After a reconnect everyone is called again: join anew.
      reconnected() { if (on) send({ type: "voice.join" }); },
      // Someone joined: those already in the voice call them.
      async joined(id) {
        if (!on || id === me) return;
        drop(id);
        const { pc } = peer(id);
        await pc.setLocalDescription(await pc.createOffer());
        send({ type: "signal", to: id, kind: "offer", data: pc.localDescription.toJSON() });
      },
      gone: drop,
      async signal(message) {
        if (!on) return;
        const id = message.from;
        if (message.kind === "offer") {
          drop(id);
          const entry = peer(id);
          await entry.pc.setRemoteDescription(message.data);
          if (entry.pending.length) await rtc.flush(entry.pc, entry.pending);
          await entry.pc.setLocalDescription(await entry.pc.createAnswer());
          send({ type: "signal", to: id, kind: "answer", data: entry.pc.localDescription.toJSON() });
        } else if (message.kind === "answer") {
          const entry = peers.get(id);
          if (!entry) return;
          await entry.pc.setRemoteDescription(message.data).catch(() => {});
          if (entry.pending.length) await rtc.flush(entry.pc, entry.pending);
        } else if (message.kind === "candidate") {
          const entry = peers.get(id);
          if (!entry) return;
          if (entry.pc.remoteDescription) await entry.pc.addIceCandidate(message.data).catch(() => {});
          else entry.pending.push(message.data);
        }
      },
      stop,
    };
  })();

  connect();
})();
