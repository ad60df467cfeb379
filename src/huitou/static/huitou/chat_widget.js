// The help centre's chat widget: asks the FAQ bot (URL and texts from the widget's data-*
// attributes) and shows its answer and suggestions. At a visitor's hand-off the API answers
// 422 (field name / contact / phone / email): the widget asks for a name and a contact and
// sends the question again with them. After a hand-off the answer carries `live`: the widget
// opens the chat's WebSocket, replays the conversation from the ticket (so a reload shows it
// all again), shows the queue position and wait, the agent, their messages, typing and read
// marks, and sends what the customer writes over the socket. Every message has an id and is
// shown once, whichever way it arrived.
(function () {
  const widget = document.getElementById("chat-widget");
  if (!widget) return;
  const panel = document.getElementById("chat-panel"), log = document.getElementById("chat-log");
  const input = document.getElementById("chat-input"), contactForm = document.getElementById("chat-contact");
  const contactError = document.getElementById("chat-contact-error");
  const status = document.getElementById("chat-status"), typing = document.getElementById("chat-typing");
  const links = document.getElementById("chat-links");
  const CONTACT_FIELDS = ["name", "contact", "phone", "email"];
  const STORE = "huitou-chat", LIVE_STORE = "huitou-chat-live";
  const text = widget.dataset;
  // Kept for this browser, so a reload continues the same conversation (and its ticket).
  let conversation = localStorage.getItem(STORE) || null;
  let live = JSON.parse(localStorage.getItem(LIVE_STORE) || "null");
  let contact = null, pending = null, socket = null, lastId = 0, retry = 0, typingTimer = null, sentTyping = 0;
  let replaying = false;
  const shown = new Set();
  document.getElementById("chat-open").addEventListener("click", () => {
    panel.hidden = !panel.hidden; input.focus(); markRead();
  });
  function say(cls, body, id) {
    const line = document.createElement("div"); line.className = cls; line.textContent = body;
    if (id) line.dataset.id = id;
    log.appendChild(line); log.scrollTop = log.scrollHeight; return line;
  }
  function link(line, href, label, cls) {
    if (!href) return;
    const anchor = document.createElement("a"); anchor.href = href; anchor.textContent = label;
    anchor.className = cls; anchor.target = "_blank"; anchor.rel = "noopener";
    line.appendChild(document.createElement("br")); line.appendChild(anchor);
  }
  function fill(template, values) { return template.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? ""); }
  function showStatus(frame) {
    const minutes = Math.max(1, Math.round((frame.wait_seconds || 0) / 60));
    let line = "";
    if (frame.type === "queue" || frame.state === "waiting") {
      line = fill(frame.wait_seconds ? text.queue : text.soon, {n: frame.position || 1, m: minutes});
    }
    else if (frame.state === "active") line = fill(text.serving, {name: frame.agent || ""});
    else if (frame.state === "offline") line = {after_hours: text.afterHours, customer_left: text.left}[frame.reason] || text.nobody;
    else if (frame.state === "ended") line = text.ended;
    status.textContent = line; status.hidden = !line;
    status.className = "chat-status " + (frame.state || "waiting");
    if (frame.state === "offline") input.placeholder = text.leaveMessage;
    if (frame.state === "ended") {
      // Over: the next question starts a new conversation with the bot.
      localStorage.removeItem(LIVE_STORE); localStorage.removeItem(STORE);
      live = null; conversation = null;
      if (socket) socket.close(1000);
    }
  }
  function showMessage(frame) {
    if (shown.has(frame.id)) return;
    if (replaying) {  // the ticket's copy replaces what this page showed before the hand-off
      log.querySelectorAll(".me:not([data-id]), .bot:not(.greeting):not([data-id])").forEach((line) => line.remove());
      replaying = false;
    }
    shown.add(frame.id); lastId = Math.max(lastId, frame.id);
    const mine = frame.sender === "customer";
    const line = say(mine ? "me" : (frame.sender === "agent" ? "agent" : "bot"), frame.body, frame.id);
    // The rating invitation after the chat: its link as a button (a card in the chat).
    const rating = mine ? null : /https?:\/\/\S+\/s\/r\/[\w-]+\/?/.exec(frame.body);
    if (rating) { line.classList.add("chat-rating"); link(line, rating[0], text.rate, "button primary chat-rate"); }
    if (frame.sender === "agent") {
      const who = document.createElement("span"); who.className = "chat-who"; who.textContent = frame.author;
      line.prepend(who); typing.hidden = true; log.scrollTop = log.scrollHeight;  // the name made the line taller
    }
    if (!mine) markRead();
  }
  function markRead() {
    if (socket && socket.readyState === WebSocket.OPEN && !panel.hidden && lastId) socket.send(JSON.stringify({type: "read", upto: lastId}));
  }
  function showRead(upto) {
    for (const line of log.querySelectorAll(".me[data-id]")) if (Number(line.dataset.id) <= upto) line.classList.add("read");
  }
  function connect() {
    if (!live) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + live.ws);
    socket.addEventListener("open", () => { retry = 0; socket.send(JSON.stringify({type: "resume", after: lastId})); });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "message") showMessage(frame);
      else if (frame.type === "state") { showStatus(frame); if (frame.agent_read_upto) showRead(frame.agent_read_upto); }
      else if (frame.type === "queue") showStatus(frame);
      else if (frame.type === "typing" && frame.who === "agent") {
        typing.textContent = fill(text.typing, {name: frame.name || ""}); typing.hidden = false;
        clearTimeout(typingTimer); typingTimer = setTimeout(() => { typing.hidden = true; }, 4000);
      } else if (frame.type === "read" && frame.side === "agent") showRead(frame.upto);
      else if (frame.type === "error") say("bot error", frame.detail);
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4403) { localStorage.removeItem(LIVE_STORE); live = null; return; }
      if (!live) return;
      retry = Math.min(retry + 1, 6); setTimeout(connect, 500 * 2 ** retry);  // back off, then resume
    });
  }
  function goLive(body) {
    live = body.live; localStorage.setItem(LIVE_STORE, JSON.stringify(live));
    // The ticket holds the whole conversation: it is replayed from there, each line once.
    log.querySelectorAll("[data-id]").forEach((line) => line.remove());
    shown.clear(); lastId = 0; replaying = true; showStatus(live);
    if (!socket) connect();
    else if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "resume", after: 0}));
  }
  function post(question, headers) {
    return fetch(text.askUrl, {
      method: "POST", headers: {"Content-Type": "application/json", ...headers},
      body: JSON.stringify({question, conversation, ...(contact || {})}),
    });
  }
  function contactProblem(body) {
    // {"detail": [{"loc": ["body", "payload", field], "msg": ...}]} naming a contact field.
    const first = Array.isArray(body.detail) ? body.detail[0] : null;
    return first && CONTACT_FIELDS.includes(first.loc[first.loc.length - 1]) ? first.msg : null;
  }
  async function send(question) {
    let response = await post(question, {});
    let body = await response.json();
    if (response.status === 429 && body.challenge && window.huitouPow) {
      // Over this client's rate limit: a proof-of-work lets this one question through.
      const waiting = say("bot muted", body.detail);
      try {
        const solution = await window.huitouPow.solve(body.challenge.challenge, body.challenge.difficulty);
        response = await post(question, {"X-Huitou-PoW-Challenge": body.challenge.challenge, "X-Huitou-PoW-Solution": solution});
        body = await response.json();
        waiting.remove();
      } catch (error) { /* no WebCrypto: fall through to the error below */ }
    }
    const problem = response.status === 422 ? contactProblem(body) : null;
    if (problem) {  // a person will answer: ask who and how, then send the question again
      pending = question; contactError.textContent = problem; contactError.hidden = !contact;
      contactForm.hidden = false; document.getElementById("chat-name").focus(); return;
    }
    if (!response.ok) { say("bot error", response.status === 429 ? body.detail : text.error); return; }
    contactForm.hidden = true; pending = null;
    conversation = body.conversation; localStorage.setItem(STORE, conversation);
    if (body.live) {
      // Kept with the live chat, so a reload shows the ticket number and links again.
      body.live.links = {number: body.ticket_number, url: body.ticket_url, verify: body.verify_url};
      showLinks(body.live.links);
      if (body.answer) say("bot handoff", body.answer);
      goLive(body); return;
    }
    const line = say("bot" + (body.handoff ? " handoff" : ""), body.answer || "");
    for (const suggestion of body.suggestions) {
      const button = document.createElement("button"); button.type = "button"; button.className = "suggestion";
      button.textContent = suggestion.question; button.addEventListener("click", () => ask(suggestion.question));
      line.appendChild(button);
    }
  }
  function showLinks(info) {
    if (!info) return;
    links.replaceChildren();
    const line = document.createElement("span"); line.textContent = text.ticket + (info.number || "");
    links.appendChild(line);
    link(links, info.url, text.follow, "chat-ticket-link");
    link(links, info.verify, text.verify, "chat-verify-link");
    links.hidden = false;
  }
  function ask(question) {
    if (!live && status.classList.contains("ended")) status.hidden = true;
    say("me", question); return send(question);
  }
  contactForm.addEventListener("submit", (event) => {
    event.preventDefault();
    contact = {
      name: document.getElementById("chat-name").value.trim(),
      phone: document.getElementById("chat-phone").value.trim(),
      email: document.getElementById("chat-email").value.trim(),
    };
    if (pending) send(pending);
  });
  input.addEventListener("input", () => {
    const now = Date.now();
    if (socket && socket.readyState === WebSocket.OPEN && now - sentTyping > 2000) {
      sentTyping = now; socket.send(JSON.stringify({type: "typing"}));
    }
  });
  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault(); const question = input.value.trim(); if (!question) return; input.value = "";
    if (live && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({type: "message", body: question}));  // shown when the server echoes it
    } else if (live) {
      send(question);  // the socket is reconnecting: the same words reach the ticket over HTTP
    } else {
      ask(question);
    }
  });
  if (live) { panel.hidden = false; showLinks(live.links); showStatus(live); connect(); }
})();
