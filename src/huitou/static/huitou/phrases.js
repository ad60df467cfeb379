// Standard phrases: one click inserts the text at the cursor of the reply box last used.
(function () {
  let target = null;
  document.addEventListener("focusin", (event) => {
    if (event.target.matches("textarea.reply-body")) target = event.target;
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-phrase]");
    if (!button) return;
    event.preventDefault();
    const box = target || document.querySelector("textarea.reply-body");
    if (!box) return;
    const start = box.selectionStart ?? box.value.length, end = box.selectionEnd ?? box.value.length;
    box.value = box.value.slice(0, start) + button.dataset.phrase + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + button.dataset.phrase.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
