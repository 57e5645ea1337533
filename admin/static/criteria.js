// Progressive enhancement of the search criteria: «Tout cocher» / «Tout décocher» tick
// or untick the classes at once, without reloading. Without the script, the same
// buttons submit the form and the server sends it back ticked or unticked.
(function () {
  function toggle(name, checked) {
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = checked;
    });
  }
  document.querySelectorAll("[data-check-all],[data-uncheck-all]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var all = button.hasAttribute("data-check-all");
      toggle(button.getAttribute(all ? "data-check-all" : "data-uncheck-all"), all);
    });
  });
})();
