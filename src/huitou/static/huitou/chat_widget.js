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
  async function ask(question) {
    say("me", question);
    const response = await fetch(widget.dataset.askUrl, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({question, conversation}),
    });
    const body = await response.json();
    if (!response.ok) { say("bot error", widget.dataset.error); return; }
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
