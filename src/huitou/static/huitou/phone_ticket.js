// The phone-ticket form: once the lookup recognises the caller (#caller .found), the new
// caller's name and kind are neither shown nor sent; they come back if the number changes.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id !== "caller") return;
  const known = Boolean(event.detail.target.querySelector(".found"));
  const fields = document.getElementById("new-caller");
  if (fields) fields.hidden = fields.disabled = known;
});
