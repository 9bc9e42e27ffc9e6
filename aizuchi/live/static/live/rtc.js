// What voice over WebRTC is made of wherever it is used: a session's call (voice.js) and an
// event room's mesh (events/room.js). The microphone with the same processing, a peer
// connection that plays what it hears and hands its ICE candidates to the page's socket,
// candidates that arrived early, and the audio figures of the browser's statistics.
(function () {
  "use strict";

  const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

  function microphone() {
    return navigator.mediaDevices.getUserMedia({ audio: AUDIO });
  }

  // A connection sending `local`'s tracks, playing the other side into `audio`;
  // `signal(kind, data)` sends a candidate through the page's socket.
  function peer({ iceServers, local, audio, signal }) {
    const pc = new RTCPeerConnection({ iceServers });
    local.getTracks().forEach((track) => pc.addTrack(track, local));
    pc.addEventListener("track", (event) => {
      audio.srcObject = event.streams[0];
      audio.play().catch(() => {});
    });
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate) signal("candidate", event.candidate.toJSON());
    });
    return pc;
  }

  // The candidates that came before the remote description, added now (the list is emptied).
  // Callers skip it when there are none: an await of nothing still lets another signal in
  // between the remote description and the answer.
  async function flush(pc, pending) {
    for (const candidate of pending.splice(0)) await pc.addIceCandidate(candidate).catch(() => {});
  }

  async function audioStats(pc) {
    const figures = { bytesIn: 0, bytesOut: 0, peerLevel: 0, myLevel: 0 };
    const stats = await pc.getStats().catch(() => new Map());
    stats.forEach((report) => {
      if (report.kind !== "audio") return;
      if (report.type === "inbound-rtp") {
        figures.bytesIn += report.bytesReceived || 0;
        figures.peerLevel = Math.max(figures.peerLevel, report.audioLevel || 0);
      } else if (report.type === "outbound-rtp") {
        figures.bytesOut += report.bytesSent || 0;
      } else if (report.type === "media-source") {
        figures.myLevel = Math.max(figures.myLevel, report.audioLevel || 0);
      }
    });
    return figures;
  }

  window.AizuchiRtc = {
    supported: "RTCPeerConnection" in window && Boolean(navigator.mediaDevices),
    microphone,
    peer,
    flush,
    audioStats,
  };
})();
