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
})();
