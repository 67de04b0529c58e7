// Text inputs with a length limit (data-char-limit) show how much of it is used as you type,
// in their hint (the element whose id ends in "-help" among the input's aria-describedby). The
// page itself says the limit ("1,000 characters at most."), so it is clear before anything is
// typed or sent, with or without this script.
(function () {
  "use strict";

  function hintFor(input) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      if (/-help$/.test(ids[i])) return document.getElementById(ids[i]);
    }
    return null;
  }

  function update(input) {
    var hint = hintFor(input);
    var limit = Number(input.getAttribute("data-char-limit"));
    if (!hint || !limit) return;
    var used = input.value.length;
    hint.textContent = used.toLocaleString("en") + " of " + limit.toLocaleString("en") +
      " characters" + (used >= limit ? " (the most this can hold)." : ".");
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[data-char-limit]")) update(input);
  });

})();
