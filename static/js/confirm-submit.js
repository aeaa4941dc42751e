/* A form with data-confirm asks before it is sent (no inline script: the admin's policy allows none). A history
   restore was one tap on a phone, next to the radio buttons of the comparison. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
})();
