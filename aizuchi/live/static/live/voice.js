// Voice calls over WebRTC, as a channel of the same session (docs/realtime.md): the
// session socket carries the signalling (offers, answers, ICE candidates), media goes peer
// to peer. The customer makes the offer; the provider answers. When the network changes
// the customer restarts ICE; when either page reloads, the call is made afresh. Levels of
// both voices feed the provider's silence timer (session.js).
(function () {
  "use strict";

  const root = document.querySelector("[data-session]");
  if (!root || root.dataset.channel !== "voice" || !root.aizuchi) return;
  const rtc = window.AizuchiRtc;
  if (!rtc || !rtc.supported) return;

  const api = root.aizuchi;
  const panel = root.querySelector("[data-call]");
  const statusLine = panel.querySelector("[data-call-status]");
  const peerLine = panel.querySelector("[data-peer-call]");
  const muteButton = panel.querySelector("[data-mute]");
  const audio = panel.querySelector("[data-remote-audio]");
  const iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
  const texts = {};
  document.getElementById("call-texts").content.querySelectorAll("[data-key]").forEach((el) => {
    texts[el.dataset.key] = el.textContent.trim();
  });
  const SPEAKING = 0.02; // audio level (0..1) counted as someone speaking

  let pc = null;
  let local = null;
  let muted = false;
  let live = false; // the session is answered and not ended
  let ended = false;
  const present = new Set();
  let pending = []; // ICE candidates that arrived before the remote description
  let restartTimer = null;

  // What the other side is told (docs/realtime.md, call.state).
  const SHARED_STATES = ["waiting", "connecting", "connected", "reconnecting", "failed"];
  let shared = "waiting";

  function show(state) {
    panel.dataset.state = state;
    statusLine.textContent = texts[state] || "";
    shared = SHARED_STATES.includes(state) ? state : "failed";
    api.send({ type: "call.state", state: shared, muted });
  }

  async function microphone() {
    if (!local) {
      local = await rtc.microphone();
      local.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    }
    return local;
  }

  function newPeer() {
    if (pc) pc.close();
    pending = [];
    pc = rtc.peer({
      iceServers,
      local,
      audio,
      signal: (kind, data) => api.send({ type: "signal", kind, data }),
    });
    pc.addEventListener("connectionstatechange", () => {
      const state = pc.connectionState;
      if (state === "connected") {
        clearTimeout(restartTimer);
        show("connected");
      } else if (state === "disconnected" || state === "failed") {
        show(state === "failed" ? "failed" : "reconnecting");
        clearTimeout(restartTimer);
        // A changed network (Wi-Fi to mobile): new ICE candidates on the same call.
        restartTimer = setTimeout(restart, state === "failed" ? 0 : 2000);
      } else if (state === "connecting") {
        show("connecting");
      }
    });
    return pc;
  }

  async function call({ iceRestart = false } = {}) {
    if (api.role !== "customer" || !live || ended) return;
    try {
      await microphone();
    } catch (error) {
      show("no_microphone");
      return;
    }
    if (!pc || pc.connectionState === "closed" || !iceRestart) newPeer();
    show("connecting");
    const offer = await pc.createOffer({ iceRestart });
    await pc.setLocalDescription(offer);
    api.send({ type: "signal", kind: "offer", data: pc.localDescription.toJSON() });
  }

  function restart() {
    if (!live || ended || !pc) return;
    if (api.role === "customer") call({ iceRestart: true });
    else api.send({ type: "signal", kind: "restart", data: null });
  }

  async function answer(offer) {
    try {
      await microphone();
    } catch (error) {
      show("no_microphone");
      return;
    }
    if (!pc || pc.connectionState === "closed") newPeer();
    try {
      await pc.setRemoteDescription(offer);
    } catch (error) {
      // The other page was reloaded (a new peer): start this side afresh too.
      newPeer();
      await pc.setRemoteDescription(offer);
    }
    if (pending.length) await rtc.flush(pc, pending);
    const reply = await pc.createAnswer();
    await pc.setLocalDescription(reply);
    api.send({ type: "signal", kind: "answer", data: pc.localDescription.toJSON() });
  }

  async function onSignal(message) {
    if (message.role === api.role) return; // this person's other tab
    if (message.kind === "offer") {
      await answer(message.data);
    } else if (message.kind === "answer" && pc) {
      await pc.setRemoteDescription(message.data).catch(() => {});
      if (pending.length) await rtc.flush(pc, pending);
    } else if (message.kind === "candidate") {
      if (pc && pc.remoteDescription) await pc.addIceCandidate(message.data).catch(() => {});
      else pending.push(message.data);
    } else if (message.kind === "restart") {
      await call({ iceRestart: Boolean(pc) });
    }
  }

  function hangUp() {
    ended = true;
    clearTimeout(restartTimer);
    if (pc) pc.close();
    if (local) local.getTracks().forEach((track) => track.stop());
    panel.dataset.state = "ended";
  }

  function bothHere() {
    return present.has("customer") && present.has("provider");
  }

  api.on((message) => {
    switch (message.type) {
      case "session.state":
        live = message.session.status === "active";
        present.clear();
        message.session.present.forEach((role) => present.add(role));
        if (!live) {
          if (message.session.status !== "requested") hangUp();
          return;
        }
        if (api.role === "provider") microphone().then(() => show("waiting")).catch(() => show("no_microphone"));
        if (bothHere()) call();
        break;
      case "session.accepted":
        live = true;
        break;
      case "session.started":
        live = true;
        present.add("customer");
        present.add("provider");
        if (!pc || pc.connectionState !== "connected") call();
        break;
      case "peer.joined":
        present.add(message.role);
        if (message.role !== api.role && live && bothHere()) call(); // their page (re)loaded
        break;
      case "peer.left":
        present.delete(message.role);
        break;
      case "signal":
        onSignal(message);
        break;
      case "call.state":
        if (message.role !== api.role) {
          const notes = [];
          if (message.muted) notes.push(texts.peer_muted);
          if (message.state === "reconnecting" || message.state === "failed") notes.push(texts.peer_reconnecting);
          peerLine.textContent = notes.join(" ");
          peerLine.hidden = notes.length === 0;
          panel.dataset.peerState = message.state;
          panel.dataset.peerMuted = String(message.muted);
        }
        break;
      case "session.ended":
        hangUp();
        break;
      default:
        break;
    }
  });

  muteButton.addEventListener("click", () => {
    muted = !muted;
    if (local) local.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    muteButton.setAttribute("aria-pressed", String(muted));
    muteButton.textContent = muted ? texts.unmute : texts.mute;
    panel.dataset.muted = String(muted);
    api.send({ type: "call.state", state: shared, muted });
  });

  // Levels and bytes from the browser's own statistics, once a second: the meters, the
  // silence timer, and what the tests read (data-bytes-in, data-bytes-out).
  setInterval(async () => {
    if (!pc || ended) return;
    const { bytesIn, bytesOut, peerLevel, myLevel } = await rtc.audioStats(pc);
    panel.dataset.bytesIn = String(bytesIn);
    panel.dataset.bytesOut = String(bytesOut);
    panel.querySelector("[data-level-peer]").style.width = `${Math.min(100, peerLevel * 300)}%`;
    panel.querySelector("[data-level-me]").style.width = `${muted ? 0 : Math.min(100, myLevel * 300)}%`;
    if (peerLevel > SPEAKING || (!muted && myLevel > SPEAKING)) api.activity();
  }, 1000);
})();
