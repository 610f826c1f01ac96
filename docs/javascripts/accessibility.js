// Name Material's search dialog for screen readers. Material 9.8 renders it with role="dialog" and no
// label, and replacing its template would mean keeping a copy of Material's partial in this repository.
(function () {
  var dialog = document.querySelector(".md-search[role='dialog']");
  if (dialog && !dialog.hasAttribute("aria-label")) {
    dialog.setAttribute("aria-label", "Search");
  }
})();
