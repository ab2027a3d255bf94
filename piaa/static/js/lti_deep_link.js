// The deep-linking answer: post the signed choice back to the platform at once (the button
// stays for browsers that run no script).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) {
    form.submit();
  }
})();
