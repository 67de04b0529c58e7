// Settings → Qualification data: reorder a list by drag and drop (HTML5) or from the keyboard
// (Alt+Arrow Up / Alt+Arrow Down on an item's handle). Each move is one htmx POST to the item's
// data-move-url; the server answers with the list again, marks the control to focus with
// data-reorder-focus and says what happened in the page's live region. Without JavaScript the
// Move up / Move down buttons are plain forms.
(function () {
  "use strict";

  var dragged = null;

  function items(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-reorder-item]"));
  }

  function container(element) {
    return element.closest("#qualification-data");
  }

  function move(item, position, focus) {
    var root = container(item);
    if (!root || !window.htmx) return;
    window.htmx.ajax("POST", item.getAttribute("data-move-url"), {
      source: item,
      target: "#" + root.id,
      swap: "outerHTML",
      values: { position: String(position), focus: focus },
      headers: { "X-CSRFToken": root.getAttribute("data-reorder-csrf") },
    });
  }

  function reveal(root) {
    (root || document).querySelectorAll("[data-reorder-item]").forEach(function (item) {
      item.setAttribute("draggable", "true");
      var handle = item.querySelector("[data-reorder-handle]");
      if (handle) handle.hidden = false;
    });
  }

  function clearMarks(list) {
    list.querySelectorAll(".sb-drop-before, .sb-drop-after").forEach(function (el) {
      el.classList.remove("sb-drop-before", "sb-drop-after");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-reorder-item]");
    if (!item) return;
    dragged = item;
    item.classList.add("sb-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-label") || "");
  });

  document.addEventListener("dragover", function (event) {
    var item = dragged && event.target.closest && event.target.closest("[data-reorder-item]");
    if (!item || item.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks(item.parentNode);
    if (item === dragged) return;
    var box = item.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    item.classList.add(after ? "sb-drop-after" : "sb-drop-before");
  });

  document.addEventListener("drop", function (event) {
    var item = dragged && event.target.closest && event.target.closest("[data-reorder-item]");
    if (!item || item.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    var list = items(item.parentNode);
    var from = list.indexOf(dragged);
    var over = list.indexOf(item);
    var box = item.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    // Where the dragged item lands once it has left its own place.
    var to = over + (after ? 1 : 0);
    if (to > from) to -= 1;
    clearMarks(item.parentNode);
    var source = dragged;
    dragged = null;
    source.classList.remove("sb-dragging");
    if (to !== from) move(source, to + 1, "handle");
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("sb-dragging");
    clearMarks(dragged.parentNode);
    dragged = null;
  });

  document.addEventListener("keydown", function (event) {
    var handle = event.target.closest && event.target.closest("[data-reorder-handle]");
    if (!handle || !event.altKey) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    event.preventDefault();
    var item = handle.closest("[data-reorder-item]");
    var list = items(item.parentNode);
    var to = list.indexOf(item) + (event.key === "ArrowUp" ? -1 : 1);
    if (to < 0 || to >= list.length) return;
    move(item, to + 1, "handle");
  });

  // After a swap: handles only work with JavaScript, and focus returns to the moved item.
  document.addEventListener("htmx:afterSettle", function (event) {
    reveal(event.target);
    var focus = document.querySelector("#qualification-data [data-reorder-focus]");
    if (!focus) return;
    focus.removeAttribute("data-reorder-focus");
    if (focus.disabled) {
      var item = focus.closest("[data-reorder-item]");
      focus = (item && item.querySelector("[data-reorder-handle]")) || focus;
    }
    focus.focus();
  });

  reveal(document);
})();
