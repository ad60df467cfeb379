// The questionnaire builder: edits the body (sections and questions) held as JSON in the
// form's `body` textarea. Without this script the JSON itself can be edited; the server
// checks the body either way and publishes a new version when the questions changed.
(function () {
  const form = document.querySelector("form[data-builder]");
  if (!form) return;
  const raw = document.getElementById("builder-body");
  const root = document.getElementById("builder-root");
  const sectionTemplate = document.getElementById("builder-section-template");
  const questionTemplate = document.getElementById("builder-question-template");
  let body;
  try {
    body = JSON.parse(raw.value || "{}");
  } catch (error) {
    return; // leave the raw JSON to be corrected by hand
  }
  raw.closest(".field").hidden = true;
  document.documentElement.classList.add("builder-js");

  const lines = (entries, names) =>
    (entries || []).map((entry) => names.map((name) => entry[name] || "").join("|").replace(/\|+$/, "")).join("\n");
  const entries = (text, names) =>
    text
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const parts = line.split("|").map((part) => part.trim());
        const entry = {};
        names.forEach((name, index) => (entry[name] = parts[index] || ""));
        return entry;
      });
  const LABELS = ["value", "label", "label_en"];
  const PAIRS = ["value", "a", "b", "a_en", "b_en"];
  const field = (node, name) => node.querySelector(`[data-f="${name}"]`);

  function showFor(card) {
    const kind = field(card, "kind").value;
    for (const part of card.querySelectorAll("[data-for]")) {
      part.hidden = !part.dataset.for.split(" ").includes(kind);
    }
  }

  function addQuestion(container, spec) {
    const card = questionTemplate.content.firstElementChild.cloneNode(true);
    const q = spec || { key: `Q${root.querySelectorAll(".builder-question").length + 1}`, kind: "single", required: true };
    for (const name of ["key", "kind", "text", "text_en", "help", "help_en", "indicator", "dimension", "side", "pair"]) {
      field(card, name).value = q[name] || (name === "kind" ? "single" : "");
    }
    for (const name of ["required", "allow_other", "overall"]) field(card, name).checked = q[name] !== undefined ? Boolean(q[name]) : name === "required";
    for (const name of ["min_choices", "max_choices", "max_length"]) field(card, name).value = q[name] ?? "";
    field(card, "options").value = lines(q.options, LABELS);
    if (q.kind === "comparison") field(card, "pairs").value = lines(q.items, PAIRS);
    else field(card, "items").value = lines(q.items, LABELS);
    const show = q.show_if || {};
    field(card, "show_question").value = show.question || "";
    field(card, "show_op").value = show.op || "in";
    field(card, "show_values").value = (show.values || []).join(",");
    field(card, "kind").addEventListener("change", () => showFor(card));
    showFor(card);
    container.appendChild(card);
  }

  function addSection(spec) {
    const section = sectionTemplate.content.firstElementChild.cloneNode(true);
    for (const name of ["title", "title_en", "description", "description_en"]) field(section, name).value = (spec && spec[name]) || "";
    const container = section.querySelector(".builder-questions");
    for (const q of (spec && spec.questions) || []) addQuestion(container, q);
    root.appendChild(section);
    return section;
  }

  function number(value) {
    return value === "" ? null : Number(value);
  }

  function collectQuestion(card) {
    const kind = field(card, "kind").value;
    const q = { kind };
    for (const name of ["key", "text", "text_en", "help", "help_en", "indicator", "dimension", "side", "pair"]) q[name] = field(card, name).value.trim();
    for (const name of ["required", "allow_other", "overall"]) q[name] = field(card, name).checked;
    for (const name of ["min_choices", "max_choices", "max_length"]) q[name] = number(field(card, name).value);
    q.options = entries(field(card, "options").value, LABELS);
    q.items = kind === "comparison" ? entries(field(card, "pairs").value, PAIRS) : entries(field(card, "items").value, LABELS);
    const target = field(card, "show_question").value.trim();
    const values = field(card, "show_values").value.split(/[,，]/).map((v) => v.trim()).filter(Boolean);
    q.show_if = target ? { question: target, op: field(card, "show_op").value, values } : {};
    return q;
  }

  function collect() {
    return {
      note: body.note || "",
      sections: [...root.querySelectorAll(".builder-section")].map((section) => ({
        title: field(section, "title").value.trim(),
        title_en: field(section, "title_en").value.trim(),
        description: field(section, "description").value.trim(),
        description_en: field(section, "description_en").value.trim(),
        questions: [...section.querySelectorAll(".builder-question")].map(collectQuestion),
      })),
    };
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-act]");
    if (!button) return;
    const card = button.closest(".builder-question");
    const section = button.closest(".builder-section");
    switch (button.dataset.act) {
      case "add-question":
        addQuestion(section.querySelector(".builder-questions"));
        break;
      case "remove-section":
        section.remove();
        break;
      case "remove-question":
        card.remove();
        break;
      case "up":
        if (card.previousElementSibling) card.parentNode.insertBefore(card, card.previousElementSibling);
        break;
      case "down":
        if (card.nextElementSibling) card.parentNode.insertBefore(card.nextElementSibling, card);
        break;
    }
  });
  document.getElementById("builder-add-section").addEventListener("click", () => {
    addQuestion(addSection().querySelector(".builder-questions"));
  });
  form.addEventListener("submit", () => {
    raw.value = JSON.stringify(collect());
  });

  const sections = body.sections || [];
  if (sections.length) sections.forEach(addSection);
  else addQuestion(addSection().querySelector(".builder-questions"));
})();
