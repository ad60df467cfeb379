// The help centre's chat widget: asks the FAQ bot (URL and error text from the widget's
// data-ask-url / data-error attributes) and shows its answer and suggestions.
(function () {
  const widget = document.getElementById("chat-widget");
  if (!widget) return;
  const panel = document.getElementById("chat-panel"), log = document.getElementById("chat-log");
  const input = document.getElementById("chat-input");
  let conversation = null;
  document.getElementById("chat-open").addEventListener("click", () => { panel.hidden = !panel.hidden; input.focus(); });
  function say(cls, text) {
    const line = document.createElement("div"); line.className = cls; line.textContent = text; log.appendChild(line);
    log.scrollTop = log.scrollHeight; return line;
  }
  function post(question, headers) {
    return fetch(widget.dataset.askUrl, {
      method: "POST", headers: {"Content-Type": "application/json", ...headers},
      body: JSON.stringify({question, conversation}),
    });
  }
  async function ask(question) {
    say("me", question);
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
    if (!response.ok) { say("bot error", response.status === 429 ? body.detail : widget.dataset.error); return; }
    conversation = body.conversation;
    const line = say("bot" + (body.handoff ? " handoff" : ""), body.answer || "");
    for (const suggestion of body.suggestions) {
      const button = document.createElement("button"); button.type = "button"; button.className = "suggestion";
      button.textContent = suggestion.question; button.addEventListener("click", () => ask(suggestion.question));
      line.appendChild(button);
    }
  }
  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault(); const question = input.value.trim(); if (!question) return; input.value = ""; ask(question);
  });
})();
