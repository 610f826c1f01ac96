// Fixes for what axe-core finds in the markup of Material for MkDocs 9.8 and mkdocs-jupyter.
(function () {
  // Material renders the search dialog with role="dialog" and no name. Replacing its template would mean
  // keeping a copy of Material's partial in this repository, so the name is added here.
  function nameSearchDialog() {
    var dialog = document.querySelector(".md-search[role='dialog']");
    if (dialog && !dialog.hasAttribute("aria-label")) {
      dialog.setAttribute("aria-label", "Search");
    }
  }

  // A notebook cell whose code or output is wider than the page scrolls sideways. Keyboard users can
  // only scroll it once it takes focus, as Material's own code blocks do.
  function makeScrollableCellsFocusable(root) {
    var cells = root.querySelectorAll(".jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre");
    cells.forEach(function (cell) {
      if (cell.scrollWidth > cell.clientWidth && !cell.hasAttribute("tabindex")) {
        cell.setAttribute("tabindex", "0");
      }
    });
  }

  function fix() {
    nameSearchDialog();
    makeScrollableCellsFocusable(document);
  }

  // Material's instant navigation swaps pages without a reload and announces each one on `document$`.
  if (typeof document$ !== "undefined") {
    document$.subscribe(fix);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
})();
