// The Deep Linking answer: post the signed link back to the platform at once; the button
// stays for a browser without scripts.
(function () {
  "use strict";
  var form = document.getElementById("deep-link-return");
  if (form) form.submit();
})();
