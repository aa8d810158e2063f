// The new-ticket page's caller panel (tickets/_caller.html): "选择" on one of the caller's products puts its
// model and serial number into the form, marks it as the chosen one and says so to screen readers. Bound by
// data attributes and delegated from the document (the panel is swapped in by HTMX; no inline scripts under
// the site's Content-Security-Policy).
(function () {
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-pick-product]") : null;
    if (!button) { return; }
    var form = document.getElementById(button.getAttribute("data-pick-product"));
    if (!form) { return; }
    form.elements.product_model.value = button.dataset.model || "";
    form.elements.serial_number.value = button.dataset.serial || "";
    var all = document.querySelectorAll("[data-pick-product]");
    for (var i = 0; i < all.length; i++) { all[i].setAttribute("aria-pressed", "false"); }
    button.setAttribute("aria-pressed", "true");
    var status = document.getElementById("product-picked");
    if (status) { status.textContent = status.getAttribute("data-template").replace("{product}", button.dataset.model + (button.dataset.serial ? " · " + button.dataset.serial : "")); }
  });
})();
