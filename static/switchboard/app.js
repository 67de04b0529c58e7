// The little the inbox adds to htmx: keyboard use in inline edits, focus after swaps, a
// visible message when a request fails, and copying a new API token.
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

  // A new API token: the copy button only works with JavaScript, so it starts hidden. Where the
  // clipboard API is missing or refused (plain http on a non-local host), the read-only field is
  // selected instead, for Ctrl+C.
  function revealCopyButtons(root) {
    (root || document).querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  revealCopyButtons(document);
  document.addEventListener("htmx:load", function (event) { revealCopyButtons(event.target); });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
      event.target.select();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!field) return;
    function say(text) { if (status) status.textContent = text; }
    function selectInstead() {
      field.focus();
      field.select();
      say("Selected: press Ctrl+C (⌘C on a Mac) to copy it.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        say("Copied to the clipboard.");
      }, selectInstead);
    } else {
      selectInstead();
    }
  });

  // A page restored from the back/forward cache must not show a token's secret again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("[data-secret-once]").forEach(function (box) { box.remove(); });
  });

  function showAlert(text) {
    var alert = document.getElementById("sb-alert");
    if (!alert) return;
    alert.textContent = text;
    alert.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (event.defaultPrevented) return; // already said next to the field (saving.js)
    var status = event.detail.xhr.status;
    if (status === 403) {
      showAlert("You don't have permission to do that. Nothing was changed.");
    } else if (status === 404) {
      showAlert("That record no longer exists. Reload the page.");
    } else {
      showAlert("Something went wrong on the server (" + status + "). Nothing was changed; please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (event.defaultPrevented) return; // already said next to the field (saving.js)
    showAlert("Switchboard could not be reached. Check your connection; nothing was changed.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var alert = document.getElementById("sb-alert");
    if (alert) alert.hidden = true;
  });
})();
