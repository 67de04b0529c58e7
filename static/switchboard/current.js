// What a teammate sees is current: no stale page on Back and Forward, an inline edit shown
// everywhere on the page that shows the value, and a value typed into an editor kept across an
// expired session's trip through the login page.
(function () {
  "use strict";

  // htmx keeps copies of pages it pushed into history and shows them on Back: a copy taken
  // before an inline edit would show the old value. Ask the server instead, as a full page.
  if (window.htmx) {
    window.htmx.config.historyCacheSize = 0;
    window.htmx.config.refreshOnHistoryMiss = true;
  }

  // A page the browser restored from its back/forward cache is a copy from before: reload it.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  // An inline save answers with HX-Trigger "sb:value-changed" {record, attribute, display,
  // title}: every element that shows that value (data-sb-value="contact:5:name") or the
  // record's name (data-sb-title="contact:5") is brought up to date.
  document.addEventListener("sb:value-changed", function (event) {
    var change = event.detail || {};
    if (!change.record) return;
    var value = change.record + ":" + change.attribute;
    document.querySelectorAll("[data-sb-value]").forEach(function (element) {
      if (element.getAttribute("data-sb-value") !== value) return;
      element.textContent = change.display || element.getAttribute("data-sb-empty") || "";
    });
    document.querySelectorAll("[data-sb-title]").forEach(function (element) {
      if (element.getAttribute("data-sb-title") !== change.record) return;
      element.textContent = change.title;
      var label = element.getAttribute("data-sb-title-label");
      var labelled = element.closest("[data-sb-title-labelled]");
      if (label !== null && labelled) labelled.setAttribute("aria-label", label + change.title);
    });
  });

  // Typed values survive a session that ended while the editor was open: each save keeps the
  // value in sessionStorage until the server answers anything but "sign in first" (HX-Redirect
  // to the login page). Back on the same page after signing in, the editor reopens with it.
  var DRAFT = "sb:draft:";

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.qd-editing") || !form.id) return;
    var field = form.elements.namedItem("value");
    var version = form.elements.namedItem("version");
    if (!field) return;
    try {
      window.sessionStorage.setItem(DRAFT + form.id, JSON.stringify({
        page: window.location.pathname + window.location.search,
        value: field.value,
        version: version ? version.value : ""
      }));
    } catch (e) { /* storage full or refused: nothing to keep */ }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // The form itself: a swapped-out form is no longer in the page, so htmx fires this event
    // on its parent instead, and only the request's config still names the form.
    var config = event.detail.requestConfig;
    var form = (config && config.elt) || event.detail.elt;
    if (!form.matches || !form.matches("form.qd-editing") || !form.id) return;
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Redirect")) return;  // on its way to the login page
    window.sessionStorage.removeItem(DRAFT + form.id);
  });

  function restoreDrafts() {
    var here = window.location.pathname + window.location.search;
    for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
      var key = window.sessionStorage.key(i);
      if (!key || key.indexOf(DRAFT) !== 0) continue;
      var draft;
      try { draft = JSON.parse(window.sessionStorage.getItem(key)); } catch (e) { draft = null; }
      if (!draft || draft.page !== here) continue;
      reopen(key.slice(DRAFT.length), draft);
    }
  }

  function reopen(rowId, draft) {
    var row = document.getElementById(rowId);
    var edit = row && row.querySelector(".qd-edit[hx-get]");
    if (!edit) return;  // no longer editable here (the role changed): the draft stays unused
    window.htmx.ajax("GET", edit.getAttribute("hx-get"), {target: "#" + rowId, swap: "outerHTML"})
      .then(function () {
        var form = document.getElementById(rowId);
        if (!form || !form.matches("form.qd-editing")) return;
        var field = form.elements.namedItem("value");
        var version = form.elements.namedItem("version");
        // The version first seen: if someone changed the value meanwhile, saving asks.
        if (version && draft.version) version.value = draft.version;
        if (field) {
          field.value = draft.value;
          field.focus();
        }
        var note = document.createElement("p");
        note.className = "qd-hint";
        note.setAttribute("role", "status");
        note.textContent = "Restored what you typed before signing in again: check it and press Save.";
        var actions = form.querySelector(".qd-actions");
        form.insertBefore(note, actions);
        window.sessionStorage.removeItem(DRAFT + rowId);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restoreDrafts);
  } else {
    restoreDrafts();
  }
})();
