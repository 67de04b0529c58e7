// The little the inbox adds to htmx: keyboard use in inline edits, focus after swaps, and a
// visible message when a request fails.
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form.qd-editing, form.qd-conflict");
    if (!form) return;
    if (event.key === "Escape") {
      event.preventDefault();
      var cancel = form.querySelector("[data-cancel]");
      if (cancel) cancel.click();
    } else if (event.key === "Enter" &&
               (event.target.type === "checkbox" || event.target.tagName === "SELECT")) {
      // Text, number and date inputs submit on Enter by themselves; checkboxes and selects
      // don't, so they get the same keyboard behaviour here.
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Links styled as buttons also answer the space bar, like real buttons.
  document.addEventListener("keydown", function (event) {
    if (event.key === " " && event.target.matches && event.target.matches("a[role=button]")) {
      event.preventDefault();
      event.target.click();
    }
  });

  // A row swapped back in after a save or cancel asks for focus, so keyboard users continue
  // where they were.
  document.addEventListener("htmx:afterSettle", function () {
    var row = document.querySelector("[data-focus-after-swap]");
    if (!row) return;
    row.removeAttribute("data-focus-after-swap");
    var target = row.querySelector(".qd-edit");
    if (!target) {
      row.setAttribute("tabindex", "-1");
      target = row;
    }
    target.focus();
  });

  function showAlert(text) {
    var alert = document.getElementById("sb-alert");
    if (!alert) return;
    alert.textContent = text;
    alert.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) {
      showAlert("You don't have permission to do that. Nothing was changed.");
    } else if (status === 404) {
      showAlert("That record no longer exists. Reload the page.");
    } else {
      showAlert("Something went wrong on the server (" + status + "). Nothing was changed; please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showAlert("Switchboard could not be reached. Check your connection; nothing was changed.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var alert = document.getElementById("sb-alert");
    if (alert) alert.hidden = true;
  });
})();
