// Narrow screens (issue 11, "Looks right everywhere"). Below 700 px app.css shows each table
// row as a card, one cell a line; this labels every body cell with its column's heading
// (data-label, shown before the value) and gives the table explicit ARIA roles, which a CSS
// display change would otherwise take away from screen readers. Tables added by htmx get the
// same. Nothing here changes how a wide screen looks.
(function () {
  "use strict";

  function setRole(element, role) {
    if (!element.hasAttribute("role")) element.setAttribute("role", role);
  }

  function label(table) {
    if (table.closest(".sb-scopes")) return; // a grid of checkboxes stays a grid
    const head = table.tHead && table.tHead.rows[0];
    const names = [];
    if (head) {
      for (const cell of head.cells) {
        for (let n = 0; n < (cell.colSpan || 1); n++) names.push(cell.textContent.trim());
      }
    }
    setRole(table, "table");
    for (const group of [table.tHead, ...table.tBodies, table.tFoot]) {
      if (group) setRole(group, "rowgroup");
    }
    for (const row of table.rows) {
      setRole(row, "row");
      let column = 0;
      for (const cell of row.cells) {
        if (cell.tagName === "TH") {
          setRole(cell, cell.getAttribute("scope") === "row" ? "rowheader" : "columnheader");
        } else {
          setRole(cell, "cell");
        }
        if (row.parentElement !== table.tHead && names[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", names[column]);
        }
        column += cell.colSpan || 1;
      }
    }
  }

  function labelWithin(element) {
    if (!element || !element.querySelectorAll) return;
    const around = element.closest("table");
    if (around) label(around);
    element.querySelectorAll("table").forEach(label);
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelWithin(document.getElementById("content"));
  });
  document.addEventListener("htmx:load", function (event) {
    labelWithin(event.detail.elt);
  });
})();
