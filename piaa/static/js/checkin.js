/* The check-in page's system check: what this browser can do, shown in words and sent with
   the check-in so the proctor's record says what the candidate's device reported. */
(function () {
  "use strict";
  var list = document.getElementById("system-check");
  if (!list) return;
  var labels = {};
  Array.prototype.forEach.call(document.getElementById("system-check-labels").content.querySelectorAll("[data-key]"),
    function (n) { labels[n.dataset.key] = n.textContent; });
  var results = {};

  function clientId() {
    try {
      var id = sessionStorage.getItem("piaa.client");
      if (!id) {
        var bytes = new Uint8Array(12);
        crypto.getRandomValues(bytes);
        id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
        sessionStorage.setItem("piaa.client", id);
      }
      return id;
    } catch (e) { return ""; }
  }
  function show(key, ok, extra) {
    results[key] = extra === undefined ? ok : extra;
    var item = list.querySelector('[data-check="' + key + '"]');
    if (!item) { item = document.createElement("li"); item.dataset.check = key; list.appendChild(item); }
    item.className = ok ? "ok" : "bad";
    item.textContent = "";
    var mark = document.createElement("span");
    mark.className = "mark"; mark.setAttribute("aria-hidden", "true"); mark.textContent = ok ? "✓" : "✗";
    item.appendChild(mark);
    item.appendChild(document.createTextNode(labels[key] + ": " + (ok ? labels.ok : labels.bad) +
      (typeof extra === "number" && key === "server" ? " (" + extra + " " + labels.ms + ")" : "")));
    document.getElementById("system-check-data").value = JSON.stringify(results);
  }

  show("script", true);
  var storage = false;
  try { localStorage.setItem("piaa.check", "1"); storage = localStorage.getItem("piaa.check") === "1"; localStorage.removeItem("piaa.check"); }
  catch (e) { storage = false; }
  show("storage", storage);
  show("screen", window.innerWidth >= 320, window.innerWidth);
  show("tabs", "BroadcastChannel" in window);
  show("fullscreen", !!document.documentElement.requestFullscreen);
  var started = performance.now();
  fetch(list.dataset.ping, {headers: {"Accept": "application/json", "X-PIAA-Client": clientId()},
                            credentials: "same-origin", cache: "no-store"})
    .then(function (r) { show("server", r.ok, Math.round(performance.now() - started)); },
          function () { show("server", false, -1); });
})();
