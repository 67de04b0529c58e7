// Saving in place shows its progress and its failures where the teammate is looking.
// While an htmx save is in flight, htmx disables the form's buttons (hx-disabled-elt) and marks
// the form with .htmx-request (the spinner, in app.css); here the form is also aria-busy.
// A save that gets no answer, or a server error, is said next to the field, in the form's
// [data-save-error] slot: htmx swaps nothing on those, so the typed value stays in the box.
(function () {
  "use strict";

  // Every form that writes over htmx (hx-post) shows progress and failures this way: those
  // without their own [data-save-error] slot get one at their end, and their submit button is
  // disabled while the request is in flight, as hx-disabled-elt does for the inline editors.
  function prepare(root) {
    var forms = root.querySelectorAll ? root.querySelectorAll("form[hx-post]") : [];
    if (root.matches && root.matches("form[hx-post]")) forms = [root].concat([].slice.call(forms));
    [].forEach.call(forms, function (form) {
      if (!form.hasAttribute("hx-disabled-elt")) {
        form.setAttribute("hx-disabled-elt", "find button[type=submit], find button:not([type])");
      }
      if (!form.querySelector("[data-save-error]")) {
        var slot = document.createElement("p");
        slot.className = "qd-error";
        slot.setAttribute("role", "alert");
        slot.setAttribute("data-save-error", "");
        slot.hidden = true;
        form.appendChild(slot);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { prepare(document); });
  document.addEventListener("htmx:load", function (event) { prepare(event.detail.elt); });

  function savingForm(event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest && elt.closest("form");
    return form && form.querySelector("[data-save-error]") ? form : null;
  }

  function say(form, text) {
    var slot = form.querySelector("[data-save-error]");
    slot.textContent = text;
    slot.hidden = !text;
  }

  function what(form) {
    return form.getAttribute("data-save-what") || "value";
  }

  function verb(form) {
    return form.getAttribute("data-save-verb") || "save";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = savingForm(event);
    if (!form) return;
    form.setAttribute("aria-busy", "true");
    say(form, "");
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = savingForm(event);
    if (form) form.removeAttribute("aria-busy");
  });

  // Capture phase: these run before app.js's page-level alert, which leaves alone an error that
  // has been told here (defaultPrevented). Only failures the form cannot show by itself are
  // handled: 401/403/404 keep their page-level handling.
  document.addEventListener("htmx:sendError", function (event) {
    var form = savingForm(event);
    if (!form) return;
    say(form, "Couldn't " + verb(form) + ": the server did not answer. Your " + what(form) +
      " is still here; try again.");
    event.preventDefault();
  }, true);

  document.addEventListener("htmx:responseError", function (event) {
    var form = savingForm(event);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!form || status < 500) return;
    say(form, "Couldn't " + verb(form) + ": something went wrong on the server (" + status +
      "). Your " + what(form) + " is still here; try again.");
    event.preventDefault();
  }, true);
})();
