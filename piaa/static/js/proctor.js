/* The proctor's live dashboard: the table of attempts refreshed from the proctor API every few
   seconds, cell by cell so keyboard focus stays put, and the quick actions (admit, warn,
   pause, resume) sent through the same API. */
(function () {
  "use strict";
  var table = document.getElementById("proctor-table");
  if (!table) return;
  var body = document.getElementById("proctor-rows");
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var words = {};
  Array.prototype.forEach.call(document.getElementById("proctor-strings").content.querySelectorAll("[data-key]"),
    function (n) { words[n.dataset.key] = n.textContent; });
  var rowTemplate = document.getElementById("proctor-row-template");
  var windowNames = {};
  Array.prototype.forEach.call(document.querySelectorAll("#window-filter option"), function (o) {
    if (o.value) windowNames[o.value] = o.textContent;
  });
  var highs = {}, first = true;

  function t(key, values) {
    var text = words[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function say(text) { document.getElementById("proctor-message").textContent = text; }
  function pad(n) { return ("0" + n).slice(-2); }
  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return s >= 3600 ? Math.floor(s / 3600) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60)
      : Math.floor(s / 60) + ":" + pad(s % 60);
  }
  function cell(row, field) { return row.querySelector('[data-field="' + field + '"]'); }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function rowFor(a) {
    var row = body.querySelector('tr[data-attempt="' + a.id + '"]');
    if (row) return row;
    row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.attempt = a.id;
    var link = cell(row, "link");
    link.href = table.dataset.recordBase + a.id;
    link.textContent = a.candidate.name;
    Array.prototype.forEach.call(row.querySelectorAll(".visually-hidden"), function (n) { n.textContent = " " + a.candidate.name; });
    body.appendChild(row);
    return row;
  }

  function update(a, serverTime) {
    var row = rowFor(a);
    row.dataset.state = a.state;
    row.dataset.admitted = a.admitted ? "yes" : "no";
    setText(cell(row, "window"), windowNames[a.window_id] || String(a.window_id));
    var state = cell(row, "state");
    if (!state.firstChild || state.firstChild.className !== "badge state-" + a.state) {
      state.textContent = "";
      var badge = document.createElement("span");
      badge.className = "badge state-" + a.state;
      badge.textContent = t("state:" + a.state);
      state.appendChild(badge);
    }
    setText(cell(row, "position"), (a.position + 1) + " / " + a.planned_items);
    setText(cell(row, "time_left"), clock(a.time_left_s));
    var seen = a.disconnected ? t("disconnected")
      : a.last_seen ? t("ago", {n: Math.max(0, Math.round((Date.parse(serverTime) - Date.parse(a.last_seen)) / 1000))}) : "—";
    var last = cell(row, "last_seen");
    setText(last, seen);
    last.classList.toggle("bad", !!a.disconnected);
    var flags = cell(row, "flags");
    var text = t("high") + " " + a.flags.high + " · " + t("medium") + " " + a.flags.medium + " · " + t("low") + " " + a.flags.low;
    if (flags.textContent !== text) {
      flags.textContent = "";
      [["high", "flag-high"], ["medium", "flag-medium"], ["low", ""]].forEach(function (pair, i) {
        var span = document.createElement("span");
        span.className = pair[1] + (a.flags[pair[0]] && pair[1] ? " on" : "");
        span.textContent = t(pair[0]) + " " + a.flags[pair[0]];
        if (i) flags.appendChild(document.createTextNode(" · "));
        flags.appendChild(span);
      });
    }
    if (!first && a.flags.high > (highs[a.id] || 0)) say(t("new-flag", {name: a.candidate.name}));
    highs[a.id] = a.flags.high;
    var open = ["created", "checked_in", "in_progress", "paused"].indexOf(a.state) >= 0;
    row.querySelector('[data-action="admit"]').hidden = !(open && !a.admitted && a.state !== "in_progress" && a.state !== "paused");
    row.querySelector('[data-action="warn"]').hidden = !open;
    row.querySelector('[data-action="pause"]').hidden = a.state !== "in_progress";
    row.querySelector('[data-action="resume"]').hidden = a.state !== "paused";
  }

  function refresh() {
    return fetch(table.dataset.api, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        data.attempts.forEach(function (a) { update(a, data.server_time); });
        document.getElementById("no-attempts").hidden = data.attempts.length > 0;
        first = false;
        var at = new Date(data.server_time);
        setText(document.getElementById("refreshed"),
                t("updated", {time: pad(at.getUTCHours()) + ":" + pad(at.getUTCMinutes()) + ":" + pad(at.getUTCSeconds()) + " UTC"}));
        table.dataset.refreshed = String(Date.now());
      })
      .catch(function () { setText(document.getElementById("refreshed"), t("offline")); });
  }

  function act(id, action, payload, name) {
    return fetch(table.dataset.actionBase + "/" + id + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(payload || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        var label = t("action:" + action);
        if (r.ok) say(t("done", {action: label, name: name}));
        else say(t("failed", {action: label, message: (b.error && b.error.message) || r.status}));
        return refresh();
      });
    }, function () { say(t("offline")); });
  }

  var dialog = document.getElementById("warn-dialog"), warnTarget = null;
  body.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button) return;
    var row = button.closest("tr"), id = row.dataset.attempt, name = cell(row, "link").textContent;
    var action = button.dataset.action;
    if (action === "warn") {
      warnTarget = {id: id, name: name, button: button};
      document.getElementById("warn-name").textContent = name;
      document.getElementById("warn-message").value = "";
      dialog.showModal();
      return;
    }
    act(id, action, {}, name);
  });
  document.getElementById("warn-cancel").addEventListener("click", function () { dialog.close(); });
  document.getElementById("warn-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = document.getElementById("warn-message").value.trim();
    if (!text || !warnTarget) return;
    dialog.close();
    act(warnTarget.id, "warn", {message: text}, warnTarget.name);
    warnTarget.button.focus();
  });

  refresh();
  setInterval(refresh, Math.max(1, parseFloat(table.dataset.pollS) || 3) * 1000);
})();
