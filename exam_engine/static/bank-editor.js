// The teachers' item editor (bank/edit.html). The form works without this script (its buttons
// post back and the server redraws it); here they act in place, the chosen kind's fields show
// at once, images upload into the stem, and the preview follows the typing.
(function () {
  "use strict";
  const form = document.getElementById("editor");
  if (!form) return;
  const T = JSON.parse(form.dataset.messages);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const kindSelect = document.getElementById("kind");
  const stem = document.getElementById("stem");
  const preview = document.getElementById("preview");
  const previewProblems = document.getElementById("preview-problems");
  const ROW_NAME = /^(choices|targets|key\.gaps)\[(?:\d+|__index__)\]/;
  const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  document.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });

  // A block of other kinds is hidden, and its fieldset disabled so its inputs are not sent.
  function applyKind() {
    const kind = kindSelect.value;
    form.querySelectorAll("[data-kinds]").forEach((el) => {
      const on = el.dataset.kinds.split(" ").includes(kind);
      el.hidden = !on;
      if (el.tagName === "FIELDSET") el.disabled = !on;
    });
  }

  function applyGapModes() {
    form.querySelectorAll(".gap-row").forEach((row) => {
      const mode = row.querySelector(".gap-mode").value;
      row.querySelectorAll("[data-gap-mode]").forEach((el) => { el.hidden = el.dataset.gapMode !== mode; });
    });
  }

  // -- rows -------------------------------------------------------------------------------------
  const listOf = (group) => form.querySelector(`.rows[data-group="${group}"]`);

  // Input names carry the row's position (choices[2].text): keep them in step with the list.
  function renumber(list) {
    const group = list.dataset.group;
    const rename = (value, i) => value.replace(ROW_NAME, (whole, g) => (g === group ? `${g}[${i}]` : whole));
    [...list.children].forEach((row, i) => {
      row.querySelectorAll("[name]").forEach((c) => { c.name = rename(c.name, i); });
      row.querySelectorAll("[data-errors-for]").forEach((e) => { e.dataset.errorsFor = rename(e.dataset.errorsFor, i); });
      row.querySelectorAll(".remove-row").forEach((b) => { b.value = `remove:${group}:${i}`; });
    });
  }

  function nextId(list) {
    const taken = new Set([...list.querySelectorAll(".row-id")].map((input) => input.value));
    if (list.dataset.group === "choices") {
      const pairs = [...LETTERS].flatMap((a) => [...LETTERS].map((b) => a + b));
      return [...LETTERS, ...pairs].find((id) => !taken.has(id));
    }
    let n = 1;
    while (taken.has(String(n))) n += 1;
    return String(n);
  }

  // A gap row the page offered as spare: empty, and its [[id]] not yet in the stem.
  function spareGap() {
    return [...listOf("key.gaps").children].find((row) => {
      const id = row.querySelector(".row-id").value;
      const typed = [...row.querySelectorAll("textarea, input[name$='.correct']")].some((i) => i.value.trim());
      return !typed && !stem.value.includes(`[[${id}]]`);
    });
  }

  function addRow(group) {
    const spare = group === "key.gaps" ? spareGap() : null;
    if (spare) {
      insertAtCursor(stem, `[[${spare.querySelector(".row-id").value}]]`);
      return;
    }
    const list = listOf(group);
    const id = nextId(list);
    const html = document.getElementById(`row-template-${group}`).innerHTML
      .replaceAll("__index__", String(list.children.length)).replaceAll("__id__", id);
    list.insertAdjacentHTML("beforeend", html);
    list.lastElementChild.querySelectorAll(".js-only").forEach((el) => { el.hidden = false; });
    renumber(list);
    applyKind();
    applyGapModes();
    refreshPairs();
    if (group === "key.gaps") insertAtCursor(stem, `[[${id}]]`);
    const first = list.lastElementChild.querySelector(".part-text, textarea");
    if (first && group !== "key.gaps") first.focus();
  }

  function moveRow(row, step) {
    const list = row.parentElement;
    if (step < 0 && row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
    if (step > 0 && row.nextElementSibling) list.insertBefore(row.nextElementSibling, row);
    renumber(list);
  }

  // The "matched with" lists of the left column offer the right column as it now stands.
  function refreshPairs() {
    const targets = [...listOf("targets").children].map((row) => ({
      id: row.querySelector(".row-id").value, text: row.querySelector(".part-text").value.trim(),
    }));
    form.querySelectorAll("select.pair-select").forEach((select) => {
      const chosen = select.value;
      select.replaceChildren(new Option("…", ""), ...targets.map((t) =>
        new Option(t.text ? `${t.id}. ${t.text.slice(0, 40)}` : t.id, t.id)));
      select.value = targets.some((t) => t.id === chosen) ? chosen : "";
    });
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.classList.contains("add-row")) {
      event.preventDefault();
      addRow(button.dataset.group);
    } else if (button.classList.contains("remove-row")) {
      event.preventDefault();
      const row = button.closest(".row-item");
      const list = row.parentElement;
      row.remove();
      renumber(list);
      refreshPairs();
    } else if (button.classList.contains("move")) {
      event.preventDefault();
      moveRow(button.closest(".row-item"), Number(button.dataset.move));
    } else {
      return;
    }
    schedulePreview();
  });

  // -- images -----------------------------------------------------------------------------------
  function insertAtCursor(area, text) {
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    area.setRangeText(text, start, end, "end");
    area.focus();
  }

  const imageFile = document.getElementById("image-file");
  const uploadStatus = document.getElementById("upload-status");
  document.getElementById("insert-image").addEventListener("click", () => imageFile.click());
  imageFile.addEventListener("change", async () => {
    const file = imageFile.files[0];
    if (!file) return;
    uploadStatus.textContent = T.uploading;
    const body = new FormData();
    body.append("file", file);
    try {
      const response = await fetch(form.dataset.uploadUrl, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }, body,
      });
      const data = await response.json();
      if (!data.ok) throw new Error(data.message || "");
      insertAtCursor(stem, `<img src="${data.url}" alt="">`);
      uploadStatus.textContent = "";
      schedulePreview(0);
    } catch (error) {
      uploadStatus.textContent = `${T.uploadFailed} ${error.message || ""}`.trim();
    }
    imageFile.value = "";
  });

  // -- live preview -----------------------------------------------------------------------------
  let timer = null;
  let sent = 0;

  function schedulePreview(delay = 300) {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, delay);
  }

  function showProblems(messages) {
    previewProblems.replaceChildren(...messages.map((message) => {
      const li = document.createElement("li");
      li.textContent = message;
      return li;
    }));
  }

  async function refreshPreview() {
    const mine = ++sent;
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf },
        body: new FormData(form),
      });
      const data = await response.json();
      if (mine !== sent) return; // a newer keystroke's preview is on its way
      preview.innerHTML = data.html; // rendered by the server from sanitised HTML
      showProblems((data.problems || []).map((p) => p.message));
    } catch (error) {
      if (mine === sent) showProblems([T.previewFailed]);
    }
  }

  form.addEventListener("input", (event) => {
    if (event.target.closest('.rows[data-group="targets"]')) refreshPairs();
    schedulePreview();
  });
  form.addEventListener("change", (event) => {
    if (event.target === kindSelect) applyKind();
    if (event.target.classList.contains("gap-mode")) applyGapModes();
    schedulePreview();
  });

  applyKind();
  applyGapModes();
})();
