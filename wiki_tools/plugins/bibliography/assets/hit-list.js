// Filter the paper hit list as the reader types, and regroup it by topic or by year.
// The list is complete without this script; it only adds the controls.
(function () {
  function setUp(root) {
    var groups = root.querySelector("[data-wiki-hit-list]");
    var controls = root.querySelector(".wiki-hit-list__controls");
    if (!groups || !controls || controls.dataset.ready) return;
    controls.dataset.ready = "1";
    controls.hidden = false;

    var items = Array.prototype.slice.call(groups.querySelectorAll("li.wiki-ref"));
    var topicView = groups.innerHTML;
    var input = controls.querySelector(".wiki-hit-list__filter");
    var counter = controls.querySelector(".wiki-hit-list__count");

    function applyFilter() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      groups.querySelectorAll("li.wiki-ref").forEach(function (item) {
        var text = (item.textContent + " " + item.dataset.topic + " " + item.dataset.year).toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) shown += 1;
      });
      groups.querySelectorAll(".wiki-hit-list__group").forEach(function (group) {
        group.hidden = !group.querySelector("li.wiki-ref:not([hidden])");
      });
      counter.textContent = words.length ? shown + " of " + items.length + " entries" : "";
    }

    function groupByYear() {
      var byYear = {};
      items.forEach(function (item) {
        var year = item.dataset.year || "Undated";
        (byYear[year] = byYear[year] || []).push(item.cloneNode(true));
      });
      groups.innerHTML = "";
      Object.keys(byYear).sort().reverse().forEach(function (year) {
        var section = document.createElement("section");
        section.className = "wiki-hit-list__group";
        var heading = document.createElement("h2");
        heading.id = "year-" + year;
        heading.textContent = year;
        var list = document.createElement("ul");
        list.className = "wiki-hit-list";
        byYear[year].forEach(function (item) { list.appendChild(item); });
        section.appendChild(heading);
        section.appendChild(list);
        groups.appendChild(section);
      });
    }

    controls.querySelectorAll("[data-group-by]").forEach(function (button) {
      button.addEventListener("click", function () {
        controls.querySelectorAll("[data-group-by]").forEach(function (other) {
          var active = other === button;
          other.setAttribute("aria-pressed", active ? "true" : "false");
          other.classList.toggle("md-button--primary", active);
        });
        if (button.dataset.groupBy === "year") groupByYear();
        else groups.innerHTML = topicView;
        applyFilter();
      });
    });
    input.addEventListener("input", applyFilter);
  }

  // Material's instant navigation swaps pages without a reload and announces each one on `document$`.
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { setUp(document); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  }
})();
