// Standby plan editor: 「枠を追加」 adds a row to that day in place, 「削除」 takes one away;
// nothing is saved until 「保存」. Without JavaScript the same buttons post the form: "add"
// comes back with a blank row on that day, and the "remove" tick deletes on save.
(function () {
  "use strict";

  const form = document.querySelector("[data-standby-form]");
  if (!form) return;
  const template = form.querySelector("[data-standby-empty]");
  const total = form.querySelector('input[name="windows-TOTAL_FORMS"]');
  if (!template || !total) return;

  function showNone(day) {
    const none = day.querySelector("[data-standby-none]");
    if (none) none.hidden = day.querySelector("[data-standby-row]") !== null;
  }

  // A removed row leaves the form: the plan is saved as the rows that remain.
  function enhance(row) {
    row.querySelector("[data-standby-remove-box]")?.setAttribute("hidden", "");
    const button = row.querySelector("[data-standby-remove]");
    if (button) button.hidden = false;
  }
  form.querySelectorAll("[data-standby-row]").forEach(enhance);

  form.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const add = target?.closest("[data-standby-add]");
    if (add) {
      event.preventDefault();
      const day = add.closest("[data-standby-day]");
      const index = Number(total.value);
      const holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replaceAll("__prefix__", String(index));
      const row = holder.firstElementChild;
      row.querySelector('input[name$="-weekday"]').value = day.dataset.standbyDay;
      enhance(row);
      const rows = day.querySelector("[data-standby-day-rows]");
      rows.append(row);
      total.value = String(index + 1);
      showNone(day);
      row.querySelector('input[type="time"]')?.focus();
      return;
    }
    const remove = target?.closest("[data-standby-remove]");
    if (remove) {
      const day = remove.closest("[data-standby-day]");
      remove.closest("[data-standby-row]")?.remove();
      showNone(day);
      day.querySelector("[data-standby-add]")?.focus();
    }
  });
})();
