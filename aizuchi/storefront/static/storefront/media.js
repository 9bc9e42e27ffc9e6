// Storefront media: the photo gallery, click-to-play video embeds, and upload previews.
// Everything works without this file (links to the full photo and to the video page);
// this only enhances. No request goes to YouTube or Vimeo before the visitor presses play.
(function () {
  "use strict";

  // --- Videos: insert the player only on click ------------------------------------------
  var PLAYERS = {
    youtube: {
      id: /^[A-Za-z0-9_-]{11}$/,
      src: function (id) { return "https://www.youtube-nocookie.com/embed/" + id + "?autoplay=1"; },
    },
    vimeo: {
      id: /^[1-9][0-9]{0,11}$/,
      src: function (id) { return "https://player.vimeo.com/video/" + id + "?autoplay=1&dnt=1"; },
    },
  };

  function play(container) {
    var player = PLAYERS[container.dataset.platform];
    var id = container.dataset.videoId || "";
    if (!player || !player.id.test(id)) return false;
    var frame = document.createElement("iframe");
    frame.src = player.src(id);
    frame.title = container.dataset.title || "";
    frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute(
      "sandbox",
      "allow-scripts allow-same-origin allow-presentation allow-popups allow-popups-to-escape-sandbox"
    );
    // YouTube refuses embeds that send no referrer; our pages default to same-origin.
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.className = "video-frame";
    container.replaceChildren(frame);
    container.classList.add("is-playing");
    frame.focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-video] .video-placeholder");
    if (!link) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    if (play(link.closest("[data-video]"))) event.preventDefault();
  });

  // --- Gallery: the full photo in a dialog, arrows to move ----------------------------------
  function setupGallery(list) {
    var section = list.closest("section") || document;
    var dialog = section.querySelector("[data-gallery-dialog]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-gallery-item]"));
    var image = dialog.querySelector("[data-gallery-image]");
    var caption = dialog.querySelector("[data-gallery-caption]");
    var current = 0;
    var opener = null;

    function show(index) {
      current = (index + items.length) % items.length;
      var item = items[current];
      image.src = item.getAttribute("href");
      image.alt = item.dataset.caption || "";
      caption.textContent = item.dataset.caption || "";
      caption.hidden = !item.dataset.caption;
    }

    items.forEach(function (item, index) {
      item.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        opener = item;
        show(index);
        dialog.showModal();
      });
    });
    var single = items.length < 2;
    dialog.querySelector("[data-gallery-prev]").hidden = single;
    dialog.querySelector("[data-gallery-next]").hidden = single;
    dialog.querySelector("[data-gallery-prev]").addEventListener("click", function () { show(current - 1); });
    dialog.querySelector("[data-gallery-next]").addEventListener("click", function () { show(current + 1); });
    dialog.querySelector("[data-gallery-close]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
      if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    dialog.addEventListener("close", function () {
      image.removeAttribute("src");
      if (opener) opener.focus();
    });
  }

  // --- Upload previews (manage page) ------------------------------------------------------------
  var previewUrls = [];

  function setupPhotoPreview(form) {
    var input = form.querySelector("input[type=file]");
    var preview = form.querySelector("[data-media-preview]");
    if (!input || !preview) return;
    input.addEventListener("change", function () {
      previewUrls.forEach(URL.revokeObjectURL);
      previewUrls = [];
      preview.replaceChildren();
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (file) {
        var figure = document.createElement("figure");
        if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
          var url = URL.createObjectURL(file);
          previewUrls.push(url);
          var img = document.createElement("img");
          img.src = url;
          img.alt = "";
          figure.appendChild(img);
        }
        var name = document.createElement("figcaption");
        name.textContent = file.name;
        figure.appendChild(name);
        preview.appendChild(figure);
      });
      var room = Number(form.dataset.mediaMax) - Number(form.dataset.mediaHave);
      if (files.length > room && form.dataset.mediaTooMany) {
        var warning = document.createElement("p");
        warning.className = "field-error";
        warning.setAttribute("role", "alert");
        warning.textContent = form.dataset.mediaTooMany;
        preview.appendChild(warning);
      }
    });
  }

  function setupVoicePreview(form) {
    var input = form.querySelector("input[type=file]");
    var audio = form.querySelector("[data-voice-preview]");
    var url = null;
    if (!input || !audio) return;
    input.addEventListener("change", function () {
      if (url) URL.revokeObjectURL(url);
      var file = input.files && input.files[0];
      if (!file) { audio.hidden = true; audio.removeAttribute("src"); return; }
      url = URL.createObjectURL(file);
      audio.src = url;
      audio.hidden = false;
    });
  }

  function init() {
    document.querySelectorAll("[data-gallery]").forEach(setupGallery);
    document.querySelectorAll("[data-media-upload]").forEach(setupPhotoPreview);
    document.querySelectorAll("[data-voice-upload]").forEach(setupVoicePreview);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
