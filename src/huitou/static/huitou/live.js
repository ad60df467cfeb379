// Live updates on every staff page, over one WebSocket (/ws/staff/, the login session):
// the notification count, rings (a new chat, a major complaint: a tone and a desktop
// notification), the inbox reloading its table when tickets change, and on a ticket page
// new messages and changes by others, and a warning when someone else is typing a reply.
// Page scripts (the chat console) listen with window.huitouLive.on(type, handler).
(function () {
  const body = document.body;
  const path = body.dataset.live;
  if (!path) return;
  const handlers = {};
  let socket = null, retry = 0;
  const watched = new Set();
  const live = window.huitouLive = {
    on(type, handler) { (handlers[type] = handlers[type] || []).push(handler); },
    send(frame) { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame)); },
    watch(ticket) { watched.add(ticket); live.send({type: "watch", ticket}); },
    unwatch(ticket) { watched.delete(ticket); live.send({type: "unwatch", ticket}); },
  };
  function emit(frame) { for (const handler of handlers[frame.type] || []) handler(frame); }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + path);
    socket.addEventListener("open", () => { retry = 0; for (const ticket of watched) live.send({type: "watch", ticket}); });
    socket.addEventListener("message", (event) => emit(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4403) return;  // signed out, or no ticket rights
      retry = Math.min(retry + 1, 6); setTimeout(connect, 500 * 2 ** retry);
    });
  }
  // The notification count in the top bar.
  function setUnread(count) {
    const link = document.getElementById("nav-notifications");
    if (!link) return;
    let badge = link.querySelector(".count");
    if (!count) { if (badge) badge.remove(); return; }
    if (!badge) { badge = document.createElement("span"); badge.className = "count"; link.appendChild(badge); }
    badge.textContent = count;
  }
  live.on("hello", (frame) => setUnread(frame.unread));
  live.on("notifications", (frame) => setUnread(frame.unread));
  // A ring: a short tone and, when the user allowed it, a desktop notification.
  function tone() {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.08; osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.25);
    } catch (error) { /* no audio here */ }
  }
  live.on("ring", (frame) => {
    tone();
    if ("Notification" in window && Notification.permission === "granted") {
      const note = new Notification(frame.title, {tag: frame.kind + frame.url});
      note.onclick = () => { window.focus(); location.href = frame.url; };
    }
  });
  // The inbox: its table reloads (htmx, the same filters) when tickets change.
  const inbox = document.getElementById("inbox-table");
  let inboxTimer = null;
  if (inbox && window.htmx) {
    live.on("ticket", () => {
      clearTimeout(inboxTimer);
      inboxTimer = setTimeout(() => window.htmx.ajax("GET", location.pathname + location.search, {target: "#inbox-table", swap: "innerHTML"}), 800);
    });
  }
  // A ticket page: news from others, and who else is typing a reply.
  const page = document.querySelector("[data-ticket-page]");
  if (page) {
    const ticket = Number(page.dataset.ticketPage), me = Number(body.dataset.user);
    const banner = document.getElementById("live-banner"), typing = document.getElementById("live-typing");
    let typingTimer = null, sentTyping = 0;
    live.watch(ticket);
    function news(textKey, values) {
      banner.querySelector(".live-text").textContent = banner.dataset[textKey].replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
      banner.hidden = false;
    }
    live.on("message", (frame) => {
      if (frame.ticket !== ticket || document.querySelector(`[data-message="${frame.id}"]`)) return;
      news("message", {author: frame.author});
    });
    live.on("changed", (frame) => { if (frame.ticket === ticket && frame.user !== me) news("changed", {name: frame.by || "—"}); });
    live.on("typing", (frame) => {
      if (frame.ticket !== ticket) return;
      typing.textContent = typing.dataset[frame.who === "customer" ? "customer" : "agent"].replace("{name}", frame.name || "");
      typing.hidden = false; clearTimeout(typingTimer); typingTimer = setTimeout(() => { typing.hidden = true; }, 5000);
    });
    const reply = document.querySelector("#reply-form textarea");
    if (reply) reply.addEventListener("input", () => {
      const now = Date.now();
      if (now - sentTyping > 2000) { sentTyping = now; live.send({type: "typing", ticket}); }
    });
  }
  connect();
})();
