// Keep a citation's hover card on screen. The style sheet opens the card to the right of its
// citation, so a citation near the right edge of the text would push the card past the window.
(function () {
  var MARGIN = 8;

  function place(citation) {
    var card = citation.querySelector(".wiki-cite__card");
    if (!card) return;
    card.style.left = "";
    var box = card.getBoundingClientRect();
    var limit = document.documentElement.clientWidth - MARGIN;
    if (box.right > limit) {
      var shift = Math.min(box.right - limit, box.left - MARGIN);
      card.style.left = -Math.max(shift, 0) + "px";
    }
  }

  // Events bubble from every citation to the document, so this works for pages that instant navigation loads later.
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var citation = event.target.closest && event.target.closest(".wiki-cite");
      if (citation) place(citation);
    });
  });
  // Escape hides an open card until the pointer or the focus moves to another citation.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".wiki-cite__card").forEach(function (card) { card.hidden = true; });
  });
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var citation = event.target.closest && event.target.closest(".wiki-cite");
      if (!citation) return;
      document.querySelectorAll(".wiki-cite__card[hidden]").forEach(function (card) {
        if (!citation.contains(card)) card.hidden = false;
      });
    });
  });
})();
