// Standby plan editor: add rows without a round trip, remove rows at once.
// Without JavaScript the form still works: empty rows are skipped, "remove" deletes.
(function () {
  "use strict";

  const form = document.querySelector("[data-standby-form]");
  if (!form) return;
  const rows = form.querySelector("[data-standby-rows]");
  const template = form.querySelector("[data-standby-empty]");
  const add = form.querySelector("[data-standby-add]");
  const total = form.querySelector('input[name="windows-TOTAL_FORMS"]');
  if (!rows || !template || !add || !total) return;

  add.hidden = false;
  // With the button, "save to get more rows" no longer applies.
  form.querySelectorAll("[data-standby-nojs]").forEach((note) => { note.hidden = true; });
  add.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const row = holder.firstElementChild;
    rows.append(row);
    total.value = String(index + 1);
    row.querySelector("input, select")?.focus();
  });

  // Ticking "remove" greys the row out; the server deletes it on save.
  rows.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.name.endsWith("-DELETE")) return;
    box.closest("[data-standby-row]")?.classList.toggle("is-removed", box.checked);
  });
})();
