// Typeset math with the KaTeX copy served by this site.
//
// Only elements that Python-Markdown's arithmatex extension marked, and the Markdown cells of the
// executed demos, are typeset. Text from newsletter feeds is never scanned, so a dollar amount or a
// stray backslash in a digest stays as written.
(function () {
  var markdownDelimiters = [
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
  ];
  // Jupyter's own convention in notebook Markdown cells is dollar signs.
  var notebookDelimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];

  function typeset(root) {
    if (typeof renderMathInElement !== "function") return;
    root.querySelectorAll(".arithmatex").forEach(function (element) {
      renderMathInElement(element, { delimiters: markdownDelimiters, throwOnError: false });
    });
    root.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown").forEach(function (element) {
      renderMathInElement(element, { delimiters: notebookDelimiters, throwOnError: false });
    });
  }

  // Material's instant navigation swaps pages without a reload and announces each one on `document$`.
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
