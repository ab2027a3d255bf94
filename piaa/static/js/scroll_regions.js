/* A table wider than the screen scrolls sideways inside its .table-wrap. Such a region must be
   reachable with the keyboard, or a keyboard user cannot scroll it (WCAG 2.1.1; axe-core's
   scrollable-region-focusable): while it scrolls it gets tabindex=0, role=region and a name
   (its section's heading, its caption, or the heading before it). Regions that a template
   already made focusable are left as they are. */
(function () {
  "use strict";
  var MARK = "data-scroll-region";

  function headingBefore(element) {
    for (var node = element.previousElementSibling; node; node = node.previousElementSibling) {
      if (/^H[1-6]$/.test(node.tagName)) { return node; }
    }
    return element.parentElement && element.parentElement !== document.body ? headingBefore(element.parentElement) : null;
  }

  function name(wrap) {
    var section = wrap.closest("[aria-labelledby]");
    if (section) { return { labelledby: section.getAttribute("aria-labelledby") }; }
    var caption = wrap.querySelector("caption");
    var heading = headingBefore(wrap);
    var text = (caption && caption.textContent.trim()) || (heading && heading.textContent.trim()) || document.title;
    return { label: text };
  }

  function mark() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var ours = wrap.hasAttribute(MARK);
      if (wrap.hasAttribute("tabindex") && !ours) { continue; }
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !ours) {
        var given = name(wrap);
        wrap.setAttribute(MARK, "");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (given.labelledby) { wrap.setAttribute("aria-labelledby", given.labelledby); }
        else { wrap.setAttribute("aria-label", given.label); }
      } else if (!scrolls && ours) {
        ["tabindex", "role", "aria-label", "aria-labelledby", MARK].forEach(function (attribute) {
          wrap.removeAttribute(attribute);
        });
      }
    }
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; mark(); });
  }

  function start() {
    mark();
    window.addEventListener("resize", soon);
    // Scripts fill some tables after load (the proctor's live rows, the sitting's review).
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
