// The agent's chat console: the open conversation takes live frames from the staff socket
// (live.js), shows each message once, marks what the agent has read, says when the
// customer types or has read, and reloads the lists or the conversation when a chat
// changes. Replies go by fetch and the conversation part is swapped, so the page stays.
(function () {
  const consoleEl = document.getElementById("chat-console");
  const live = window.huitouLive;
  if (!consoleEl || !live) return;
  const lists = document.getElementById("chat-lists"), pane = document.getElementById("chat-conversation");
  let main = null, ticket = null, typingTimer = null, sentTyping = 0;
  async function reload(url, target) {
    const response = await fetch(url, {headers: {"HX-Request": "true"}});
    if (response.ok) { target.innerHTML = await response.text(); if (target === pane) bind(); }
  }
  const reloadLists = () => reload(consoleEl.dataset.listsUrl, lists);
  const reloadPane = () => main && reload(main.dataset.conversationUrl, pane);
  function lastId() { const lines = pane.querySelectorAll(".chat-line[data-id]"); return lines.length ? Number(lines[lines.length - 1].dataset.id) : 0; }
  function markRead() { if (ticket) live.send({type: "read", ticket, upto: lastId()}); }
  function bind() {
    const previous = ticket;
    main = document.getElementById("chat-main");
    ticket = main ? Number(main.dataset.ticket) : null;
    if (previous && previous !== ticket) live.unwatch(previous);
    if (!main) return;
    live.watch(ticket);
    const transcript = document.getElementById("chat-transcript");
    transcript.scrollTop = transcript.scrollHeight;
    const form = document.getElementById("chat-composer"), box = document.getElementById("chat-reply");
    if (!form) return;
    box.focus();
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
    box.addEventListener("input", () => {
      const now = Date.now();
      if (now - sentTyping > 2000) { sentTyping = now; live.send({type: "typing", ticket}); }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(form.action, {method: "POST", body: new FormData(form), headers: {"HX-Request": "true"}});
      if (response.ok) { pane.innerHTML = await response.text(); bind(); }
    });
    markRead();
  }
  live.on("message", (frame) => {
    if (frame.ticket !== ticket || pane.querySelector(`.chat-line[data-id="${frame.id}"]`)) return;
    const transcript = document.getElementById("chat-transcript");
    const line = document.createElement("div");
    line.className = `chat-line ${frame.sender}${frame.public ? "" : " note"}`; line.dataset.id = frame.id;
    const who = document.createElement("span"); who.className = "chat-author"; who.textContent = frame.author;
    const at = document.createElement("span"); at.className = "muted"; at.textContent = " " + frame.at.slice(11, 16);
    const text = document.createElement("div"); text.className = "chat-body"; text.textContent = frame.body;
    line.append(who, at, text); transcript.appendChild(line); transcript.scrollTop = transcript.scrollHeight;
    document.getElementById("chat-typing").hidden = true;
    if (frame.sender === "customer") markRead();
  });
  live.on("typing", (frame) => {
    if (frame.ticket !== ticket) return;
    const line = document.getElementById("chat-typing");
    line.textContent = frame.who === "customer" ? consoleEl.dataset.customerTyping : consoleEl.dataset.agentTyping.replace("{name}", frame.name || "");
    line.hidden = false; clearTimeout(typingTimer); typingTimer = setTimeout(() => { line.hidden = true; }, 5000);
  });
  live.on("read", (frame) => { if (frame.ticket === ticket && frame.side === "customer") document.getElementById("chat-read").hidden = false; });
  live.on("chats", reloadLists);
  live.on("ticket", (frame) => { if (frame.event !== "message") reloadLists(); });
  live.on("changed", (frame) => {
    if (frame.ticket !== ticket) return;
    const box = document.getElementById("chat-reply");
    if (!box || !box.value) reloadPane();  // never wipe a reply being written
    reloadLists();
  });
  const notify = document.getElementById("chat-desktop-notify");
  if (notify && "Notification" in window) {
    notify.hidden = Notification.permission === "granted";
    notify.addEventListener("click", () => Notification.requestPermission().then((p) => { notify.hidden = p === "granted"; }));
  } else if (notify) notify.hidden = true;
  bind();
})();
