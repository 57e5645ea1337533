// Progressive enhancement of the search page: the live «N responsable(s) sélectionné(s)»
// count and the header checkbox ticking every row. The page works without it.
(function () {
  var form = document.getElementById("selection");
  if (!form) return;
  var all = document.getElementById("all_results");
  var count = document.getElementById("selection-count");
  var boxes = form.querySelectorAll('input[name="ids"]');
  var total = all ? parseInt(all.getAttribute("data-total"), 10) : 0;
  count.hidden = false; // without the script the count would not follow the ticks

  function update() {
    var ids = {};
    boxes.forEach(function (b) { if (b.checked) ids[b.value] = true; });
    var n = all && all.checked ? total : Object.keys(ids).length;
    count.textContent = n + " responsable(s) sélectionné(s)";
  }
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  if (all) all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
})();
