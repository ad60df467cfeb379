// Behaviour every page shares. Page scripts live beside this file and are loaded in
// {% block scripts %}; templates hold no inline script.

// A <select data-autosubmit> (the language switch) submits its form when changed.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});
