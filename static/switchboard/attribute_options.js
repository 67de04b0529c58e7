// Settings → Data attributes: a list attribute's options as rows to add, remove and reorder.
// Without JavaScript the form still works: it has two blank rows to fill in, and blank rows are
// ignored. On a new attribute the options only show for the "List of options" type.
(function () {
  "use strict";

  function rows(editor) {
    return Array.prototype.slice.call(editor.querySelectorAll(".sb-option-rows > li"));
  }

  function button(text, label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.setAttribute("data-option-action", action);
    return b;
  }

  // Number the rows and name their buttons after what is typed, so each has its own name.
  function renumber(editor) {
    rows(editor).forEach(function (row, index) {
      var input = row.querySelector("input");
      var labelEl = row.querySelector("label");
      var n = index + 1;
      input.id = "option-" + n;
      labelEl.setAttribute("for", input.id);
      labelEl.textContent = "Option " + n;
      var name = input.value.trim() ? "option " + input.value.trim() : "option " + n;
      var controls = row.querySelector(".sb-option-controls");
      if (!controls) {
        controls = document.createElement("span");
        controls.className = "sb-option-controls";
        controls.appendChild(button("↑", "", "up"));
        controls.appendChild(button("↓", "", "down"));
        controls.appendChild(button("Remove", "", "remove"));
        row.appendChild(controls);
      }
      controls.querySelector("[data-option-action=up]").setAttribute("aria-label", "Move " + name + " up");
      controls.querySelector("[data-option-action=down]").setAttribute("aria-label", "Move " + name + " down");
      controls.querySelector("[data-option-action=remove]").setAttribute("aria-label", "Remove " + name);
      controls.querySelector("[data-option-action=up]").disabled = index === 0;
      controls.querySelector("[data-option-action=down]").disabled = index === rows(editor).length - 1;
    });
  }

  function addRow(editor) {
    var list = editor.querySelector(".sb-option-rows");
    var row = document.createElement("li");
    var label = document.createElement("label");
    label.className = "visually-hidden";
    var input = document.createElement("input");
    input.type = "text";
    input.name = "options";
    input.maxLength = 255;
    row.appendChild(label);
    row.appendChild(input);
    list.appendChild(row);
    renumber(editor);
    return input;
  }

  function setUp(editor) {
    // One blank row is enough once rows can be added.
    var blanks = editor.querySelectorAll("[data-blank-row]");
    for (var i = 1; i < blanks.length; i++) blanks[i].remove();
    renumber(editor);
    var add = editor.querySelector("[data-option-add]");
    add.hidden = false;
    add.addEventListener("click", function () { addRow(editor).focus(); });
    editor.addEventListener("input", function () { renumber(editor); });
    editor.addEventListener("click", function (event) {
      var b = event.target.closest("[data-option-action]");
      if (!b) return;
      var row = b.closest("li");
      var action = b.getAttribute("data-option-action");
      if (action === "remove") {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        if (!rows(editor).length) addRow(editor);
        renumber(editor);
        (next ? next.querySelector("input") : add).focus();
        return;
      }
      if (action === "up" && row.previousElementSibling) {
        row.parentNode.insertBefore(row, row.previousElementSibling);
      } else if (action === "down" && row.nextElementSibling) {
        row.parentNode.insertBefore(row.nextElementSibling, row);
      }
      renumber(editor);
      var same = row.querySelector("[data-option-action=" + action + "]");
      (same.disabled ? row.querySelector("input") : same).focus();
    });
    var typeId = editor.getAttribute("data-options-for");
    var type = typeId && document.getElementById(typeId);
    if (type) {
      var sync = function () { editor.hidden = type.value !== "options"; };
      type.addEventListener("change", sync);
      sync();
    }
  }

  document.querySelectorAll("[data-options-editor]").forEach(setUp);
})();
