// The provider's profile page: keep the card preview in step with the form as they type.
(function () {
  "use strict";

  const form = document.querySelector("[data-profile-form]");
  const card = document.querySelector("[data-preview]");
  if (!form || !card) return;

  const $ = (selector) => card.querySelector(selector);
  const nameOut = $("[data-preview-name]");
  const initialOut = $("[data-preview-initial]");
  const conceptOut = $("[data-preview-concept]");
  const tagsOut = $("[data-preview-tags]");
  const welcome = document.querySelector("[data-preview-welcome]");
  const hiddenNote = document.querySelector("[data-preview-hidden]");
  const field = (name) => form.elements.namedItem(name);

  function tag(text, extra) {
    const span = document.createElement("span");
    span.className = extra ? "tag " + extra : "tag";
    span.textContent = text;
    return span;
  }

  function splitTags(text) {
    const seen = new Set();
    const result = [];
    for (const part of text.split(/[,、，､\n]+/)) {
      const name = part.normalize("NFKC").trim().replace(/\s+/g, " ");
      const key = name.toLowerCase();
      if (!name || seen.has(key)) continue;
      seen.add(key);
      result.push(name);
    }
    return result.slice(0, 10);
  }

  function update() {
    const name = (field("display_name")?.value || "").trim();
    nameOut.textContent = name;
    initialOut.textContent = Array.from(name)[0] || "";
    conceptOut.textContent = (field("concept")?.value || "").trim();
    const parts = [];
    for (const box of form.querySelectorAll('input[name="categories"]:checked')) {
      const label = box.closest("label");
      parts.push(tag(label ? label.textContent.trim() : box.value));
    }
    for (const name of splitTags(field("tags")?.value || "")) parts.push(tag("#" + name, "tag-topic"));
    if (field("accepts_newcomers")?.checked && welcome) {
      parts.push(welcome.content.firstElementChild.cloneNode(true));
    }
    tagsOut.replaceChildren(...parts);
    if (hiddenNote) hiddenNote.hidden = Boolean(field("is_listed")?.checked);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
