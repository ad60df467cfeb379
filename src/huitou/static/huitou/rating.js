// The rating page: the reasons appear only for a low rating (the server ignores them otherwise).
(function () {
  const form = document.getElementById("rate-form");
  if (!form) return;
  const low = Number(form.dataset.low || 2);
  const reasons = document.getElementById("rate-reasons");
  function update() {
    const chosen = form.querySelector("input[name=rating]:checked");
    const show = chosen !== null && Number(chosen.value) <= low;
    reasons.hidden = !show;
    if (!show) for (const input of reasons.querySelectorAll("input")) input.checked = false;
  }
  form.addEventListener("change", update);
  update();
})();
