// The help centre's chat widget: asks the FAQ bot (URL and texts from the widget's data-*
// attributes) and shows its answer and suggestions. At a visitor's hand-off the API answers
// 422 (field name / contact / phone / email): the widget asks for a name and a contact and
// sends the question again with them. After a hand-off it shows the ticket's private page
// and, for a typed contact, the page that proves it with a code.
(function () {
  const widget = document.getElementById("chat-widget");
  if (!widget) return;
  const panel = document.getElementById("chat-panel"), log = document.getElementById("chat-log");
  const input = document.getElementById("chat-input"), contactForm = document.getElementById("chat-contact");
  const contactError = document.getElementById("chat-contact-error");
  const CONTACT_FIELDS = ["name", "contact", "phone", "email"];
  // Kept for this browser tab, so a reload continues the same conversation (and its ticket).
  let conversation = sessionStorage.getItem("huitou-chat") || null;
  let contact = null, pending = null;
  document.getElementById("chat-open").addEventListener("click", () => { panel.hidden = !panel.hidden; input.focus(); });
  function say(cls, text) {
    const line = document.createElement("div"); line.className = cls; line.textContent = text; log.appendChild(line);
    log.scrollTop = log.scrollHeight; return line;
  }
  function link(line, href, text, cls) {
    if (!href) return;
    const anchor = document.createElement("a"); anchor.href = href; anchor.textContent = text;
    anchor.className = cls; anchor.target = "_blank"; anchor.rel = "noopener";
    line.appendChild(document.createElement("br")); line.appendChild(anchor);
  }
  function post(question, headers) {
    return fetch(widget.dataset.askUrl, {
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
    if (!response.ok) { say("bot error", response.status === 429 ? body.detail : widget.dataset.error); return; }
    contactForm.hidden = true; pending = null;
    conversation = body.conversation; sessionStorage.setItem("huitou-chat", conversation);
    const line = say("bot" + (body.handoff ? " handoff" : ""), body.answer || "");
    for (const suggestion of body.suggestions) {
      const button = document.createElement("button"); button.type = "button"; button.className = "suggestion";
      button.textContent = suggestion.question; button.addEventListener("click", () => ask(suggestion.question));
      line.appendChild(button);
    }
    link(line, body.ticket_url, widget.dataset.follow, "chat-ticket-link");
    link(line, body.verify_url, widget.dataset.verify, "chat-verify-link");
  }
  function ask(question) { say("me", question); return send(question); }
  contactForm.addEventListener("submit", (event) => {
    event.preventDefault();
    contact = {
      name: document.getElementById("chat-name").value.trim(),
      phone: document.getElementById("chat-phone").value.trim(),
      email: document.getElementById("chat-email").value.trim(),
    };
    if (pending) send(pending);
  });
  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault(); const question = input.value.trim(); if (!question) return; input.value = ""; ask(question);
  });
})();
