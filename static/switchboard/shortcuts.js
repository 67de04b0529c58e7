// Keyboard shortcuts for working fast, listed in a dialog on "?". Every shortcut does what a
// visible control on the page does (a link, a button, a box), so nothing here is keyboard-only.
// Single keys never fire while the teammate is typing; only Ctrl+Enter and Esc do.
(function () {
  "use strict";

  var SHORTCUTS = [
    [["?"], "Show these shortcuts"],
    [["j"], "Next conversation (in the inbox's current filters)"],
    [["k"], "Previous conversation"],
    [["g", "i"], "Go to the inbox"],
    [["g", "c"], "Go to contacts"],
    [["r"], "Reply to the customer"],
    [["n"], "Write an internal note"],
    [["Ctrl", "Enter"], "Send the reply or note (in the message box)"],
    [["e"], "Edit the first qualification field"],
    [["Esc"], "Close the editor or this dialog"],
  ];
  var PREFIX_TIMEOUT_MS = 1500;

  var script = document.currentScript;
  var destinations = {
    i: script && script.getAttribute("data-inbox-url"),
    c: script && script.getAttribute("data-contacts-url"),
  };

  function isTyping(element) {
    if (!element || element === document.body) return false;
    return element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }

  // The "?" dialog ------------------------------------------------------------------------------

  var dialog = null;
  var opener = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "sb-shortcuts";
    dialog.setAttribute("aria-labelledby", "sb-shortcuts-title");
    var title = document.createElement("h2");
    title.id = "sb-shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    dialog.appendChild(title);
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (shortcut) {
      var keys = document.createElement("dt");
      shortcut[0].forEach(function (key, index) {
        if (index) keys.appendChild(document.createTextNode(key === "Enter" ? " + " : " then "));
        var kbd = document.createElement("kbd");
        kbd.textContent = key;
        keys.appendChild(kbd);
      });
      var what = document.createElement("dd");
      what.textContent = shortcut[1];
      list.appendChild(keys);
      list.appendChild(what);
    });
    dialog.appendChild(list);
    var note = document.createElement("p");
    note.className = "help";
    note.textContent = "Single keys don't act while you type in a box; Ctrl+Enter and Esc do.";
    dialog.appendChild(note);
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(close);
    // Esc closes a modal <dialog> by itself; either way, focus goes back where it was.
    dialog.addEventListener("close", function () {
      var back = opener;
      opener = null;
      if (back && back.isConnected && back.focus) back.focus();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    document.body.appendChild(dialog);
  }

  function openDialog() {
    if (!dialog) buildDialog();
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
  }

  // What each shortcut does ---------------------------------------------------------------------

  function follow(selector) {
    var link = document.querySelector(selector);
    if (!link) return false;
    link.click();
    return true;
  }

  // In the inbox list, j and k move through the conversation links (Enter opens one); on a
  // conversation page they open the neighbour in the list it came from.
  function step(direction) {
    if (follow(direction === 1 ? "a[data-shortcut=next]" : "a[data-shortcut=previous]")) return true;
    var links = Array.prototype.slice.call(
      document.querySelectorAll("#conversation-list tbody a[href*='/inbox/conversations/']")
    );
    if (!links.length) return false;
    var at = links.indexOf(document.activeElement);
    var next = at === -1 ? (direction === 1 ? 0 : links.length - 1) : at + direction;
    if (next < 0 || next >= links.length) return true;
    links[next].focus();
    return true;
  }

  var refocusComposer = false;

  function composerSay(form, kind) {
    form.setAttribute("data-kind", kind);
    form.classList.toggle("sb-composer-note", kind === "note");
    var hint = form.querySelector("[data-composer-hint]");
    if (hint) {
      hint.textContent = kind === "note"
        ? "Writing an internal note: Ctrl+Enter adds it; only teammates see it."
        : "Writing a reply: Ctrl+Enter sends it to the customer.";
    }
  }

  function focusComposer(kind) {
    var form = document.querySelector("form.sb-composer");
    var box = form && form.querySelector("textarea");
    if (!box) return false;
    composerSay(form, kind);
    box.focus();
    return true;
  }

  // The composer's own buttons also set the mode, so the hint never disagrees with a click.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("form.sb-composer button[name=kind]");
    if (button) composerSay(button.form, button.value);
  });

  function send(event) {
    var form = event.target.closest && event.target.closest("form");
    if (!form) return false;
    var button;
    if (form.classList.contains("sb-composer")) {
      var kind = form.getAttribute("data-kind") || "reply";
      button = form.querySelector("button[name=kind][value='" + kind + "']");
      refocusComposer = true;
    } else {
      button = form.querySelector("button[type=submit], button:not([type])");
    }
    // A click (not requestSubmit) so htmx sends the button's own name and value.
    if (button && !button.disabled) button.click();
    return true;
  }

  document.addEventListener("htmx:afterSettle", function () {
    if (!refocusComposer) return;
    refocusComposer = false;
    var box = document.querySelector("form.sb-composer textarea");
    if (box) box.focus();
  });

  function escape() {
    if (dialog && dialog.open) {
      dialog.close();
      return true;
    }
    // An inline editor left open while focus went elsewhere (app.js handles Esc inside it).
    var cancel = document.querySelector("form.qd-editing [data-cancel], form.qd-conflict [data-cancel]");
    if (cancel) {
      cancel.click();
      return true;
    }
    return false;
  }

  // The keyboard ----------------------------------------------------------------------------------

  var prefixAt = 0;

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var typing = isTyping(event.target);
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (typing && send(event)) event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      if (!typing && escape()) event.preventDefault();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (dialog && dialog.open) return;

    var key = event.key;
    var prefixed = prefixAt && Date.now() - prefixAt < PREFIX_TIMEOUT_MS;
    prefixAt = 0;
    if (prefixed && destinations[key]) {
      event.preventDefault();
      window.location.assign(destinations[key]);
      return;
    }
    var handled = false;
    if (key === "?") {
      openDialog();
      handled = true;
    } else if (key === "g") {
      prefixAt = Date.now();
      handled = true;
    } else if (key === "j") {
      handled = step(1);
    } else if (key === "k") {
      handled = step(-1);
    } else if (key === "r") {
      handled = focusComposer("reply");
    } else if (key === "n") {
      handled = focusComposer("note");
    } else if (key === "e") {
      handled = follow(".qd-panel .qd-edit");
    }
    if (handled) event.preventDefault();
  });
})();
