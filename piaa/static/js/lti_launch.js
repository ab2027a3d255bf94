// The launch page: shown at the top of the window (not in the platform's frame), it goes
// straight on to the assessment; in a frame it waits for the learner to choose.
(function () {
  "use strict";
  var link = document.getElementById("lti-enter");
  if (link && window.top === window.self) {
    window.location.replace(link.href);
  }
})();
