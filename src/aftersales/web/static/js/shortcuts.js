// Keyboard shortcuts, declared by the page rather than listed here: an element with data-shortcut="e" is
// focused (a field) or clicked (a link or button) when that key is pressed, and its data-shortcut-label
// names it in the help dialog (#shortcut-help, opened with "?"). "/" focuses the page's search field; "j"
// and "k" move between the rows of a list. Nothing fires while the user types in a field (Esc leaves the
// field) or with a modifier key held, so typing Chinese or pasting is never taken for a shortcut.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target || !target.closest) { return false; }
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']"));
  }

  function isVisible(element) {
    return Boolean(element.offsetWidth || element.offsetHeight || element.getClientRects().length);
  }

  function declared(key) {
    var found = document.querySelectorAll("[data-shortcut]");
    for (var i = 0; i < found.length; i += 1) {
      if (found[i].getAttribute("data-shortcut") === key && isVisible(found[i])) { return found[i]; }
    }
    return null;
  }

  function searchField() {
    return declared("/") || document.querySelector("[role='search'] input:not([type='hidden'])");
  }

  function rowLinks() {
    return Array.prototype.filter.call(
      document.querySelectorAll("table.list tbody tr a[href]"),
      isVisible
    );
  }

  function moveInRows(step) {
    var links = rowLinks();
    if (!links.length) { return false; }
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    links[next].focus();
    links[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function fillHelp(dialog) {
    var list = dialog.querySelector("#shortcut-list");
    if (!list) { return; }
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var seen = {};
    var entries = [];
    var search = searchField();
    if (search) { entries.push(["/", search.getAttribute("data-shortcut-label") || dialog.getAttribute("data-search-label")]); seen["/"] = true; }
    document.querySelectorAll("[data-shortcut][data-shortcut-label]").forEach(function (element) {
      var key = element.getAttribute("data-shortcut");
      if (seen[key] || !isVisible(element)) { return; }
      seen[key] = true;
      entries.push([key, element.getAttribute("data-shortcut-label")]);
    });
    if (rowLinks().length) { entries.push(["j / k", dialog.getAttribute("data-rows-label")]); }
    entries.forEach(function (entry) {
      var term = document.createElement("dt");
      var key = document.createElement("kbd");
      key.textContent = entry[0];
      term.appendChild(key);
      var description = document.createElement("dd");
      description.textContent = entry[1] || "";
      list.appendChild(term);
      list.appendChild(description);
    });
  }

  function openHelp() {
    var dialog = document.getElementById("shortcut-help");
    if (!dialog || dialog.open) { return; }
    fillHelp(dialog);
    dialog.showModal();
  }

  function act(element) {
    if (element.matches("input, textarea, select")) {
      element.focus();
      element.scrollIntoView({ block: "center" });
    } else {
      element.click();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) { return; }
    if (isTyping(event.target)) {
      if (event.key === "Escape" && event.target.blur) { event.target.blur(); }
      return;
    }
    var dialog = document.getElementById("shortcut-help");
    if (dialog && dialog.open) { return; }  // the dialog has the keyboard (Esc closes it)
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      openHelp();
      return;
    }
    if (key === "/") {
      var search = searchField();
      if (search) { event.preventDefault(); act(search); }
      return;
    }
    if ((key === "j" || key === "k") && !declared(key)) {
      if (moveInRows(key === "j" ? 1 : -1)) { event.preventDefault(); }
      return;
    }
    var target = declared(key);
    if (target) {
      event.preventDefault();
      act(target);
    }
  });

  // The help button (shown only when this script runs) and any other opener.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-shortcut-help]") : null;
    if (opener) { openHelp(); }
  });
  function reveal() {
    document.querySelectorAll("[data-shortcut-help][hidden]").forEach(function (button) { button.hidden = false; });
  }
  reveal();
  document.addEventListener("htmx:afterSwap", reveal);
})();
