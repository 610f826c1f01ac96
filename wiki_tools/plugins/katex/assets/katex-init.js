// Typeset math with the KaTeX copy served by this site.
//
// Only these are typeset: elements that Python-Markdown's arithmatex extension marked, the table of
// contents entries of headings that contain such math, the Markdown cells of the executed demos, and
// the abstracts on paper pages. Text from newsletter feeds is never scanned, so a dollar amount or a
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

  // arXiv abstracts are TeX source, in which a dollar sign opens math and a literal one is written `\$`.
  var abstractDelimiters = notebookDelimiters;

  function render(element, delimiters) {
    renderMathInElement(element, { delimiters: delimiters, throwOnError: false });
  }

  // A heading's entry in the table of contents is plain text, such as `The scaling factor \( r \)`.
  // Only entries whose heading contains arithmatex math are typeset.
  function typesetContents(root) {
    // Instant navigation makes every link absolute, so the link's own page is compared, not its `href` text.
    root.querySelectorAll(".md-nav--secondary a.md-nav__link").forEach(function (link) {
      if (!link.hash || link.pathname !== window.location.pathname) return;
      var heading = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (heading && heading.querySelector(".arithmatex")) render(link, markdownDelimiters);
    });
  }

  function typeset(root) {
    if (typeof renderMathInElement !== "function") return;
    root.querySelectorAll(".arithmatex").forEach(function (element) { render(element, markdownDelimiters); });
    root.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown").forEach(function (element) {
      render(element, notebookDelimiters);
    });
    root.querySelectorAll(".wiki-paper-abstract").forEach(function (element) {
      render(element, abstractDelimiters);
    });
    typesetContents(root);
  }

  // Material's instant navigation swaps pages without a reload and announces each one on `document$`.
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { typeset(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
