// The answer form (templates/surveys/_answer_form.html): skip logic live in the browser. A
// question whose show_if does not hold is hidden and its inputs disabled (not sent); the
// server applies the same rule again.
(function () {
  const form = document.querySelector("[data-survey-form]");
  if (!form) return;
  const questions = [...form.querySelectorAll("fieldset.sq")];

  function plain(value) {
    if (value === true || value === "yes" || value === "是") return "true";
    if (value === false || value === "no" || value === "否") return "false";
    return String(value);
  }

  function valueOf(fieldset) {
    const key = fieldset.dataset.key;
    const kind = fieldset.dataset.kind;
    const checked = [...fieldset.querySelectorAll(`input[name="q-${key}"]:checked`)].map((i) => i.value);
    if (kind === "yes_no") return checked.length ? checked[0] === "1" : null;
    if (kind === "multiple") return checked.length ? checked : null;
    if (["single", "scale", "nps"].includes(kind)) {
      if (!checked.length) return null;
      return ["scale", "nps"].includes(kind) ? Number(checked[0]) : checked[0];
    }
    const filled = [...fieldset.querySelectorAll("input[type=text], textarea, select, input[type=radio]:checked")]
      .filter((input) => input.type !== "radio" || input.checked)
      .map((input) => input.value.trim())
      .filter(Boolean);
    return filled.length ? filled : null;
  }

  function holds(rule, values) {
    if (!rule || !rule.question) return true;
    const answered = values[rule.question];
    const op = rule.op || "in";
    const wanted = rule.values || [];
    if (op === "answered") return answered !== undefined && answered !== null;
    if (answered === undefined || answered === null) return op === "not_in";
    if (op === "gte" || op === "lte") {
      const number = Number(answered);
      const bound = Number(wanted[0]);
      if (Number.isNaN(number) || Number.isNaN(bound)) return false;
      return op === "gte" ? number >= bound : number <= bound;
    }
    const given = new Set((Array.isArray(answered) ? answered : [answered]).map(plain));
    const hit = wanted.map(plain).some((value) => given.has(value));
    return op === "in" ? hit : !hit;
  }

  function update() {
    const values = {};
    for (const fieldset of questions) {
      let rule = {};
      try {
        rule = JSON.parse(fieldset.dataset.showIf || "{}");
      } catch (error) {
        rule = {};
      }
      const show = holds(rule, values);
      fieldset.hidden = !show;
      for (const input of fieldset.querySelectorAll("input, select, textarea")) input.disabled = !show;
      if (show) {
        const value = valueOf(fieldset);
        if (value !== null) values[fieldset.dataset.key] = value;
      }
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
