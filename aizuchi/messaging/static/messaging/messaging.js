// Direct messages, live (docs/realtime.md, /ws/messages/): a thread page shows what
// arrives while it is open, marks it read, and sends text over the socket; an inbox page
// refreshes its list. Without JavaScript (or without the socket) the pages work as plain
// forms and links; after a reconnect the thread catches up from the last message it has.
(function () {
  "use strict";

  const thread = document.querySelector("[data-thread][data-socket]");
  const inbox = document.querySelector("[data-inbox][data-socket]");
  const root = thread || inbox;
  if (!root || !("WebSocket" in window)) return;

  const retryAfter = (window.Aizuchi && window.Aizuchi.retryAfter) || ((_event, wait) => wait);
  const PING_MS = 25000;
  let socket = null;
  let delay = 1000;
  let pinger = null;

  // --- a thread ----------------------------------------------------------------------------

  const threadId = thread ? Number(thread.dataset.threadId) : null;
  const role = thread ? thread.dataset.role : null;
  const list = thread ? thread.querySelector("[data-messages]") : null;
  const texts = {};
  const template = document.getElementById("message-texts");
  if (template) {
    template.content.querySelectorAll("[data-key]").forEach((el) => {
      texts[el.dataset.key] = el.textContent.trim();
    });
  }
  let otherRead = 0;
  let readSent = 0;

  function lastId() {
    let last = 0;
    if (!list) return last;
    list.querySelectorAll("[data-message-id]").forEach((el) => {
      last = Math.max(last, Number(el.dataset.messageId) || 0);
    });
    return last;
  }

  function two(n) { return String(n).padStart(2, "0"); }

  function when(iso) {
    const d = new Date(iso);
    return `${d.getMonth() + 1}/${d.getDate()} ${two(d.getHours())}:${two(d.getMinutes())}`;
  }

  function yen(n) { return "¥" + Number(n).toLocaleString("ja-JP"); }

  function bubble(m) {
    const li = document.createElement("li");
    const mine = m.sender === role;
    li.className = "bubble " + (mine ? "me" : "them") + (m.hidden ? " is-hidden" : "");
    li.id = "m" + m.id;
    li.dataset.messageId = String(m.id);
    li.dataset.clientId = m.client_id || "";
    if (m.hidden) {
      const p = document.createElement("p");
      p.className = "message-hidden";
      p.textContent = texts.hidden || "";
      li.append(p);
    } else {
      if (m.kind === "booking_note") {
        const tag = document.createElement("p");
        tag.className = "message-tag";
        tag.textContent = texts.booking || "";
        li.append(tag);
      }
      if (m.text) {
        const p = document.createElement("p");
        p.className = "message-text";
        p.dataset.messageText = "";
        p.textContent = m.text;
        li.append(p);
      }
      if (m.images && m.images.length) {
        const box = document.createElement("div");
        box.className = "message-images";
        m.images.forEach((image) => {
          const a = document.createElement("a");
          a.href = image.url;
          a.target = "_blank";
          a.rel = "noopener";
          const img = document.createElement("img");
          img.src = image.thumbnail_url;
          img.alt = texts.photo || "";
          img.loading = "lazy";
          a.append(img);
          box.append(a);
        });
        li.append(box);
      }
    }
    const foot = document.createElement("footer");
    foot.className = "message-foot";
    const time = document.createElement("time");
    time.dateTime = m.created_at;
    time.textContent = when(m.created_at);
    foot.append(time);
    if (m.price_yen) {
      const price = document.createElement("span");
      price.className = "message-price";
      price.dataset.price = "";
      price.textContent = yen(m.price_yen);
      foot.append(price);
    }
    if (mine) {
      const read = document.createElement("span");
      read.className = "message-read";
      read.dataset.read = "";
      read.textContent = texts.read || "";
      read.hidden = m.id > otherRead;
      foot.append(read);
    } else if (!m.hidden) {
      const report = document.createElement("a");
      report.className = "message-report";
      report.href = `/messages/m/${m.id}/report/`;
      report.textContent = texts.report || "";
      foot.append(report);
    }
    li.append(foot);
    return li;
  }

  function show(m) {
    if (!list || m.thread_id !== threadId) return;
    const fresh = bubble(m);
    const known = document.getElementById("m" + m.id);
    if (known) {
      known.replaceWith(fresh);
      return;
    }
    const pending = m.client_id
      ? list.querySelector(`.pending[data-client-id="${CSS.escape(m.client_id)}"]`)
      : null;
    if (pending) pending.replaceWith(fresh);
    else list.append(fresh);
    const empty = thread.querySelector("[data-empty]");
    if (empty) empty.remove();
    fresh.scrollIntoView({ block: "nearest" });
  }

  function applyRead(shape) {
    if (!shape || !role) return;
    otherRead = Math.max(otherRead, role === "customer" ? shape.provider_read_id : shape.customer_read_id);
    list.querySelectorAll(".bubble.me [data-read]").forEach((el) => {
      const id = Number(el.closest("[data-message-id]").dataset.messageId);
      el.hidden = !(id && id <= otherRead);
    });
  }

  function markRead() {
    const upTo = lastId();
    if (!thread || !upTo || upTo <= readSent || document.visibilityState !== "visible") return;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    readSent = upTo;
    socket.send(JSON.stringify({ type: "message.read", thread_id: threadId, up_to: upTo }));
  }

  // The composer is the server's to draw (the quote after each message: free ones left,
  // the price of the next): it is fetched again after a send.
  function refreshComposer() {
    const url = thread && thread.dataset.composerUrl;
    const box = thread && thread.querySelector("[data-composer-box]");
    if (!url || !box) return;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (!html) return;
        const holder = document.createElement("div");
        holder.innerHTML = html.trim();
        const fresh = holder.firstElementChild;
        if (!fresh) return;
        const old = thread.querySelector("[data-composer-box]");
        const typed = old && old.querySelector("[data-text]");
        const keep = typed ? typed.value : "";
        old.replaceWith(fresh);
        const text = fresh.querySelector("[data-text]");
        if (text && keep) text.value = keep;
        bindComposer();
      })
      .catch(() => {});
  }

  function composerError(text) {
    const line = thread.querySelector("[data-composer] [data-error]");
    if (!line) return;
    line.textContent = text || "";
    line.hidden = !text;
  }

  function bindComposer() {
    const form = thread && thread.querySelector("form[data-composer]");
    if (!form || form.dataset.bound) return;
    form.dataset.bound = "1";
    const files = form.querySelector("[data-images]");
    const picked = form.querySelector("[data-picked]");
    if (files && picked) {
      files.addEventListener("change", () => {
        const count = files.files.length;
        picked.textContent = count ? (texts.picked || "#").replace("#", String(count)) : "";
        picked.hidden = !count;
      });
    }
    form.addEventListener("submit", (event) => {
      const files = form.querySelector("[data-images]");
      const open = socket && socket.readyState === WebSocket.OPEN;
      if (!threadId || !open || (files && files.files.length)) return; // a plain post
      event.preventDefault();
      const textArea = form.querySelector("[data-text]");
      const text = textArea.value.trim();
      const clientId = form.querySelector("[name=idempotency_key]").value;
      const price = Number((form.querySelector("[name=price_yen]") || {}).value || 0);
      const message = { type: "message.send", thread_id: threadId, client_id: clientId, text };
      if (price > 0) message.price_yen = price;
      composerError("");
      if (text && !list.querySelector(`[data-client-id="${CSS.escape(clientId)}"]`)) {
        const pending = bubble({
          id: 0, thread_id: threadId, client_id: clientId, sender: role, kind: "message",
          text, images: [], hidden: false, price_yen: price, created_at: new Date().toISOString(),
        });
        pending.classList.add("pending");
        pending.removeAttribute("id");
        pending.dataset.messageId = "";
        list.append(pending);
        pending.scrollIntoView({ block: "nearest" });
      }
      form.querySelector("[data-send]").disabled = true;
      socket.send(JSON.stringify(message));
    });
  }

  function sendAnswered(message) {
    const form = thread && thread.querySelector("form[data-composer]");
    if (message.type === "message.ack") {
      if (form) form.querySelector("[data-text]").value = "";
      refreshComposer();
      return;
    }
    // Refused: nothing was stored; the text stays in the box, the reason is shown, and
    // the composer is drawn again when the terms may have changed.
    if (list) list.querySelectorAll(".pending").forEach((el) => el.remove());
    if (form) form.querySelector("[data-send]").disabled = false;
    const errors = message.errors ? Object.values(message.errors).flat() : [];
    composerError(errors.length ? errors.join(" ") : message.message);
    if (message.code === "refused" || message.code === "conflict") refreshComposer();
  }

  // --- an inbox ----------------------------------------------------------------------------

  let refreshing = false;
  let again = false;

  function refreshList() {
    const box = inbox && inbox.querySelector("[data-thread-list]");
    if (!box) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(box.dataset.listUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => { if (html !== null) box.innerHTML = html; })
      .catch(() => {})
      .finally(() => {
        refreshing = false;
        if (again) { again = false; refreshList(); }
      });
  }

  // --- the socket --------------------------------------------------------------------------

  function handle(message) {
    switch (message.type) {
      case "messages.state":
        if (thread && message.thread) {
          message.thread.messages.forEach(show);
          applyRead(message.thread);
          if (message.thread.more) location.reload();
          markRead();
        }
        break;
      case "message.created":
        if (thread && message.thread_id === threadId) {
          show(message.message);
          applyRead(message.thread);
          markRead();
        } else if (inbox) {
          refreshList();
        }
        break;
      case "message.read":
        if (thread && message.thread_id === threadId) applyRead(message.thread);
        else if (inbox) refreshList();
        break;
      case "message.updated":
        if (thread) show(message.message);
        break;
      case "message.ack":
        sendAnswered(message);
        break;
      case "error":
        if (message.in_reply_to === "message.send") sendAnswered(message);
        break;
      default:
        break;
    }
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let path = root.dataset.socket;
    if (thread) path += "&after=" + lastId();
    return scheme + location.host + path;
  }

  function connect() {
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", () => {
      delay = 1000;
      root.dataset.live = "on";
      clearInterval(pinger);
      pinger = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send('{"type": "ping"}');
      }, PING_MS);
    });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      root.dataset.live = "off";
      clearInterval(pinger);
      if (thread) {
        const form = thread.querySelector("form[data-composer]");
        if (form) form.querySelector("[data-send]").disabled = false;
        if (list) list.querySelectorAll(".pending").forEach((el) => el.remove());
      }
      const wait = retryAfter(event, delay);
      if (wait === null) return;
      setTimeout(connect, wait);
      delay = Math.min(delay * 2, 30000);
    });
  }

  if (thread) {
    bindComposer();
    document.addEventListener("visibilitychange", markRead);
  }
  connect();
})();
