// Settings pages: a button with data-confirm asks before its form is sent (deactivating a
// teammate, resetting a password). Without JavaScript the form is sent as is.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();

// Your profile: name the browser's zone in the "Same as my browser" choice even before the
// server has seen the cookie timezone.js sets.
(function () {
  "use strict";
  var option = document.querySelector("option[data-browser-zone]");
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (option && zone) option.textContent = "Same as my browser (" + zone + ")";
})();
