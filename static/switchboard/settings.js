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
