// Behaviour the console's pages share, bound by data attributes (no inline handlers: the pages are served
// with a Content-Security-Policy that allows only scripts from this site). Delegated from the document, so
// it also works in fragments HTMX swaps in.
(function () {
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) { target.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print], [data-fill-form]") : null;
    if (!target) { return; }
    if (target.hasAttribute("data-print")) { window.print(); return; }
    // A known caller's details into the new-ticket form.
    var form = document.getElementById(target.getAttribute("data-fill-form"));
    if (!form) { return; }
    form.elements.name.value = target.dataset.name;
    if (target.dataset.address) { form.elements.address.value = target.dataset.address; }
  });
})();
