/* The candidate's sitting screen: items from the candidate API, every answer saved as it is
   given through an ordered queue kept in localStorage (so neither a dropped link nor a reload
   loses it), a countdown synchronised to the server's time_left_s, proctoring signals sent in
   batches with the heartbeat, and the proctor's warnings and pauses shown as they come. */
(function () {
  "use strict";
  var root = document.getElementById("sitting");
  if (!root) return;
  var cfg = JSON.parse(document.getElementById("sitting-config").textContent);
  var csrf = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var prefix = "piaa." + cfg.attempt_id + ".";
  var FINISHED = ["submitted", "timed_out", "terminated", "scored", "voided"];
  var MAX_SIGNALS = 199;  // the events endpoint takes 200 per batch, one is the heartbeat

  function $(id) { return document.getElementById(id); }
  function t(key, values) {
    var text = cfg.strings[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function randomId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function load(key, fallback) {
    try { var raw = localStorage.getItem(prefix + key); return raw ? JSON.parse(raw) : fallback; }
    catch (e) { return fallback; }
  }
  function store(key, value) {
    try { localStorage.setItem(prefix + key, JSON.stringify(value)); } catch (e) { /* private mode: memory only */ }
  }
  function forget() {
    ["queue", "seqs", "signals", "pos"].forEach(function (k) {
      try { localStorage.removeItem(prefix + k); } catch (e) { /* nothing kept */ }
    });
  }
  // One id per browser tab, kept across reloads, so the server tells a reload from a second tab.
  var CLIENT = (function () {
    try {
      var id = sessionStorage.getItem("piaa.client");
      if (!id) { id = randomId(); sessionStorage.setItem("piaa.client", id); }
      return id;
    } catch (e) { return randomId(); }
  })();

  var s = {
    status: null, items: [], byRef: {}, parts: {}, index: load("pos", 0), view: "loading", itemsLoaded: false,
    queue: load("queue", []), seqs: load("seqs", {}), signals: load("signals", []),
    online: navigator.onLine !== false, flushing: null, retryTimer: null, retryDelay: 1000,
    saveState: {}, errors: {}, answerRefused: {}, warned5: false, warned1: false, timeUp: false, skipRef: null,
    acked: {}, finished: false, loading: null, applied: 0, issued: 0, wasFullscreen: false,
    holdTimer: null, heard: Date.now(), beating: null
  };
  s.queue.forEach(function (q) { delete q.sending; });  // a reload ended whatever was in flight
  // One item at a time: an answer waits this long on the device (kept in the queue) before it
  // is sent alone, so that an answer given just before Next travels with the move, in one
  // request, and arrow keys walking a radio group send one answer, not one per option.
  var HOLD_MS = cfg.one_at_a_time ? Math.max(0, cfg.answer_hold_ms || 0) : 0;

  // --- talking to the server ---------------------------------------------------------------
  // extra: more headers. A GET sends no CSRF token and no referrer: the heartbeat's bytes count.
  function api(method, path, body, extra) {
    var get = method === "GET", headers = {"X-PIAA-Client": CLIENT};
    if (!get) headers["X-CSRFToken"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    // A GET's reply is never stored (no-store) and "default" adds no cache headers to the request.
    return fetch(cfg.api + path, {method: method, headers: headers, credentials: "same-origin",
                                  cache: get ? "default" : "no-store",
                                  referrerPolicy: get ? "no-referrer" : undefined,
                                  body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        return r.json().catch(function () { return {}; })
          .then(function (b) { return {status: r.status, body: b, headers: r.headers}; });
      });
  }
  function message(r) { return (r.body && r.body.error && r.body.error.message) || ("HTTP " + r.status); }

  // --- the clock: the server's time_left_s, counted down locally only for display ----------
  var clock = {left: null, at: 0, running: false};
  function syncClock(st) {
    clock.left = st.time_left_s; clock.at = performance.now(); clock.running = !!st.clock_running;
  }
  // An unchanged status still says how much time is left: the countdown follows the server.
  function resync(left) {
    if (left === null || left === "" || isNaN(Number(left))) return;
    syncClock({time_left_s: Number(left), clock_running: clock.running});
    tick();
  }
  function secondsLeft() {
    if (clock.left === null || clock.left === undefined) return null;
    return Math.max(0, clock.left - (clock.running ? (performance.now() - clock.at) / 1000 : 0));
  }
  function format(total) {
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
    var mm = (h ? ("0" + m).slice(-2) : String(m)) + ":" + ("0" + sec).slice(-2);
    return h ? h + ":" + mm : mm;
  }
  function tick() {
    var left = secondsLeft();
    if (left === null) return;
    var whole = Math.ceil(left), timer = $("timer");
    timer.textContent = format(whole);
    timer.classList.toggle("low", whole <= 300);
    timer.classList.toggle("last", whole <= 60);
    if (!s.status || s.status.state !== "in_progress") return;
    speakAt(whole);
    if (whole <= 300 && whole > 60 && !s.warned5) { s.warned5 = true; timeWarning(t("5 minutes left")); }
    if (whole <= 60 && whole > 0 && !s.warned1) { s.warned1 = true; timeWarning(t("1 minute left")); }
    if (whole <= 0 && !s.timeUp) { s.timeUp = true; alertText(t("Time is up. Submitting…")); timeUp(); }
  }
  // The countdown is spoken politely at chosen moments only: on crossing each whole five
  // minutes, and each minute of the last five (the 5- and 1-minute warnings speak for those).
  function speakAt(whole) {
    var minutes = Math.ceil(whole / 60), before = s.spokenMinutes;
    s.spokenMinutes = minutes;
    if (before === undefined || minutes >= before || minutes <= 0) return;
    if (minutes === 5 || minutes === 1) return;
    if (minutes % 5 === 0 || minutes < 5) $("timer-spoken").textContent = t("{n} minutes left", {n: minutes});
  }
  // The 5- and 1-minute warnings: shown and spoken politely, or as an alert (interrupting a
  // screen reader) if the candidate asked for that in the sitting's settings.
  function warningsAsAlerts() {
    try { return localStorage.getItem("piaa.warningsAsAlerts") === "1"; } catch (e) { return false; }
  }
  function timeWarning(text) {
    if (warningsAsAlerts()) { alertText(text); return; }
    var box = $("time-warning");
    box.hidden = false;
    box.textContent = text;
    $("timer-spoken").textContent = text;
  }
  $("warnings-as-alerts").checked = warningsAsAlerts();
  $("warnings-as-alerts").addEventListener("change", function () {
    try { localStorage.setItem("piaa.warningsAsAlerts", this.checked ? "1" : "0"); } catch (e) { /* kept for this page only */ }
  });

  function timeUp() {
    // Answers in flight still land within the server's grace; then the server closes the attempt.
    flush(true).then(function again() {
      if (s.finished) return;
      refreshStatus().then(function () { if (!s.finished) setTimeout(again, 2000); });
    });
  }

  function alertText(text) {
    var box = $("alert");
    box.hidden = !text;
    box.textContent = text || "";
  }

  // --- status: state, clock, warnings, pause ------------------------------------------------
  function applyStatus(st) {
    if (!st || !st.state) return;
    s.heard = Date.now();
    var before = s.status && s.status.state;
    s.status = st;
    syncClock(st);
    tick();
    if (FINISHED.indexOf(st.state) >= 0) { finish(); return; }
    if (st.state === "paused") showPause(); else hidePause();
    if (st.state === "created" || st.state === "checked_in") showWaiting(st);
    if (st.state === "in_progress" && (!s.itemsLoaded || before === "paused")) loadItems();
    if (st.state === "in_progress" && before === "paused" && s.queue.length) flush();
    showWarnings(st.warnings || []);
  }
  function refreshStatus() {
    return api("GET", "").then(function (r) {
      setOnline(true);
      if (r.status === 200) applyStatus(r.body);
    }, function () { setOnline(false); });
  }
  function finish() {
    if (s.finished) return;
    s.finished = true;
    forget();
    location.assign(cfg.result_url);
  }

  function showPause() {
    var dialog = $("pause-dialog");
    $("pause-text").textContent = t(cfg.clock_stops ? "The clock is stopped while paused." : "The clock keeps running while paused.");
    root.dataset.paused = "yes";
    if (!dialog.open) dialog.showModal();
  }
  function hidePause() {
    var dialog = $("pause-dialog");
    root.dataset.paused = "no";
    if (dialog.open) dialog.close();
  }
  $("pause-dialog").addEventListener("cancel", function (e) { e.preventDefault(); });

  function showWarnings(warnings) {
    var dialog = $("warning-dialog");
    if (dialog.open) return;
    var next = warnings.filter(function (w) { return !s.acked[w.id]; })[0];
    if (!next) return;
    $("warning-text").textContent = next.message;
    dialog.dataset.id = next.id;
    dialog.showModal();
  }
  $("warning-ack").addEventListener("click", function () {
    var dialog = $("warning-dialog"), id = dialog.dataset.id;
    s.acked[id] = true;
    dialog.close();
    api("POST", "/warnings/" + id + "/ack", {}).catch(function () { /* shown again after a reload at most */ });
    if (s.status) showWarnings(s.status.warnings || []);
  });

  function showWaiting(st) {
    setView("waiting");
    var ready = st.state === "checked_in" && (!st.requires_admission || st.admitted);
    $("waiting-text").textContent = ready ? t("You are admitted. Start when you are ready.")
      : t("Waiting for the proctor to admit you. This page updates by itself.");
    $("start-button").hidden = !ready;
  }
  $("start-button").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    if (document.documentElement.requestFullscreen) {
      try { document.documentElement.requestFullscreen().catch(function () {}); } catch (e) { /* not offered */ }
    }
    api("POST", "/start" + langQuery(), {}).then(function (r) {
      button.disabled = false;
      // The reply carries the first question (or the form): no second call for the items.
      if (r.status === 200 && r.body.items) applyItems({attempt: r.body, items: r.body.items}, ++s.issued, true);
      else if (r.status === 200) applyStatus(r.body);
      else $("waiting-text").textContent = t("The assessment could not start: {message}", {message: message(r)});
    }, function () { button.disabled = false; setOnline(false); });
  });

  // --- items --------------------------------------------------------------------------------
  function langQuery() { return cfg.item_lang ? "?lang=" + encodeURIComponent(cfg.item_lang) : ""; }
  function loadItems() {
    if (s.loading) return s.loading;
    var stamp = ++s.issued;
    s.loading = api("GET", "/items" + langQuery()).then(function (r) {
      setOnline(true);
      if (r.status === 200) applyItems(r.body, stamp);
      else alertText(t("Items could not be loaded: {message}", {message: message(r)}));
    }, function () {
      setOnline(false);
      setTimeout(loadItems, 3000);
    }).finally(function () { s.loading = null; });
    return s.loading;
  }
  // focus: move the focus to the question (after Start); a move to the next question does anyway.
  function applyItems(body, stamp, focus) {
    if (stamp < s.applied) return;  // an older answer than one already shown
    s.applied = stamp;
    if (body.attempt.state === "in_progress") s.itemsLoaded = true;
    applyStatus(body.attempt);
    if (s.finished || body.attempt.state !== "in_progress") return;
    s.items = body.items;
    s.byRef = {};
    s.items.forEach(function (item) {
      s.byRef[item.ref] = item;
      if (item.answer !== null && item.answer !== undefined) s.saveState[item.ref] = "saved";
    });
    s.queue.forEach(function (op) {  // what waits in the queue is newer than the server's copy
      if (op.op === "answer" && s.byRef[op.ref]) { s.byRef[op.ref].answer = op.answer; s.saveState[op.ref] = "queued"; }
      if (op.op === "flag" && s.byRef[op.ref]) s.byRef[op.ref].flagged = op.flagged;
      if (op.op === "next" && s.byRef[op.ref]) s.byRef[op.ref].locked = true;  // the move is on its way
    });
    if (cfg.one_at_a_time) {
      s.index = 0;
      if (!s.items.length) { setView("done"); $("done-heading").focus(); return; }
    } else {
      s.index = Math.min(Math.max(0, s.index), s.items.length - 1);
      renderNavigator();
      if (s.view === "review") { renderReview(); return; }
    }
    showQuestion(focus || (s.view !== "loading" && s.view !== "waiting"));
  }
  function current() { return s.items[s.index]; }
  function isAnswered(item) {
    var a = item.answer;
    if (a && typeof a === "object" && !Array.isArray(a)) return Object.keys(a).length > 0;  // a composite's parts
    return a !== null && a !== undefined && a !== "" && !(Array.isArray(a) && !a.length);
  }
  var PART = "\u001f";  // between an item's ref and a part's id in a part's stand-in ref

  function setView(view) {
    s.view = view;
    root.dataset.state = view;
    $("waiting-view").hidden = view !== "waiting";
    $("question-view").hidden = view !== "question";
    $("review-view").hidden = view !== "review";
    $("done-view").hidden = view !== "done";
    $("navigator").hidden = cfg.one_at_a_time || (view !== "question" && view !== "review");
  }

  function showQuestion(moveFocus) {
    var item = current();
    if (!item) return;
    setView("question");
    store("pos", s.index);
    var heading = $("question-heading");
    heading.textContent = cfg.adaptive ? t("Question {n}", {n: item.position + 1})
      : t("Question {n} of {total}", {n: item.position + 1, total: cfg.one_at_a_time ? s.status.planned_items : s.items.length});
    renderItem(item);
    var flag = $("flag-button");
    flag.hidden = cfg.one_at_a_time;
    flag.setAttribute("aria-pressed", item.flagged ? "true" : "false");
    $("prev-button").hidden = cfg.one_at_a_time || s.index === 0;
    $("review-button").hidden = cfg.one_at_a_time;
    $("next-button").hidden = !cfg.one_at_a_time && s.index === s.items.length - 1;
    $("next-button").disabled = false;
    $("clear-button").disabled = !!item.locked;
    s.skipRef = null;
    renderItemNote();
    renderNavigator();
    if (moveFocus) heading.focus();
  }

  function renderItem(item) {
    var c = item.content, box = $("item"), uid = "q" + item.position;
    box.textContent = "";
    box.setAttribute("lang", c.lang || cfg.item_lang || "en");
    box.dataset.ref = item.ref;
    var stem = el("div", {"class": "stem", id: uid + "-stem"});
    // stem_html is the server's allowlisted copy of an imported item's rich stem (pictures, MathML, tables)
    if (c.stem_html) stem.innerHTML = c.stem_html;
    else (c.stem_paragraphs || [c.stem]).forEach(function (p) { stem.appendChild(el("p", {}, p)); });
    box.appendChild(stem);
    var widget = (WIDGETS[c.interaction] || WIDGETS.text)(item, uid);
    box.appendChild(widget);
    if (item.locked) widget.querySelectorAll("input, select, textarea").forEach(function (n) { n.disabled = true; });
  }

  var WIDGETS = {
    choice: function (item, uid) {
      var c = item.content, box = el("fieldset", {"class": "choices", "aria-describedby": uid + "-stem"});
      box.appendChild(el("legend", {}, t("Your answer")));
      c.options.forEach(function (o, i) {
        var row = el("div", {"class": "choice"});
        var picked = c.multiple ? Array.isArray(item.answer) && item.answer.indexOf(o.id) >= 0
          : item.answer !== null && item.answer !== undefined && String(item.answer) === o.id;
        var input = el("input", {type: c.multiple ? "checkbox" : "radio", id: uid + "-" + i, name: uid, value: o.id});
        input.checked = picked;
        row.appendChild(input);
        var label = el("label", {"for": uid + "-" + i}, o.html ? "" : o.text);
        // o.html is the server's allowlisted copy of an imported choice's picture
        if (o.html) { label.innerHTML = o.html; label.setAttribute("aria-label", o.text); }
        row.appendChild(label);
        box.appendChild(row);
      });
      box.addEventListener("change", function (event) {
        var picked = checkedWithin(box, c, event);
        if (!picked) return;
        answer(item.ref, c.multiple ? picked : (picked[0] === undefined ? null : picked[0]));
      });
      return box;
    },
    match: function (item, uid) {
      // One select per row: a source for each gap, or a target for each source.
      var c = item.content, box = el("fieldset", {"class": "matching", "aria-describedby": uid + "-stem"});
      box.appendChild(el("legend", {}, t("Your answer")));
      var rows = c.gaps ? c.targets : c.sources, choices = c.gaps ? c.sources : c.targets;
      var stored = Array.isArray(item.answer) ? item.answer : [];
      var shown = choices.filter(function (o) { return o.html; });
      if (shown.length) {  // choices that are pictures: shown beside the text the selects offer
        var pictures = el("ul", {"class": "gap-pictures"});
        shown.forEach(function (o) {
          var li = el("li"), figure = el("span", {"aria-hidden": "true"});
          figure.innerHTML = o.html;  // the server's allowlisted copy of the picture
          li.appendChild(figure); li.appendChild(el("span", {}, " " + o.text)); pictures.appendChild(li);
        });
        box.appendChild(pictures);
      }
      var list = el("ul");
      rows.forEach(function (r, i) {
        var li = el("li"), id = uid + "-m-" + i, select = el("select", {id: id, "data-row": r.id});
        li.appendChild(pictureLabel(el("label", {"for": id}), r));
        select.appendChild(el("option", {value: ""}, "—"));
        choices.forEach(function (o) { select.appendChild(el("option", {value: o.id}, o.text)); });
        var made = stored.filter(function (p) { return (c.gaps ? p[1] : p[0]) === r.id; })[0];
        select.value = made ? (c.gaps ? made[0] : made[1]) : "";
        li.appendChild(select); list.appendChild(li);
      });
      box.appendChild(list);
      box.addEventListener("change", function () {
        var pairs = [];
        box.querySelectorAll("select").forEach(function (n) {
          if (n.value) pairs.push(c.gaps ? [n.value, n.dataset.row] : [n.dataset.row, n.value]);
        });
        answer(item.ref, pairs.length ? pairs : null);
      });
      return box;
    },
    hotspot: function (item, uid) {
      // The picture with a real checkbox (or radio) on each area, placed by percentages.
      var c = item.content, box = el("fieldset", {"class": "hotspot", "aria-describedby": uid + "-stem"});
      box.appendChild(el("legend", {}, t("Your answer")));
      var frame = el("div", {"class": "hotspot-frame"});
      frame.appendChild(el("img", {src: c.image, alt: c.alt || "", width: String(c.width), height: String(c.height)}));
      var stored = Array.isArray(item.answer) ? item.answer : (item.answer ? [item.answer] : []);
      c.areas.forEach(function (a, i) {
        var spot = el("label", {"class": "hotspot-area"});
        // through the CSSOM: the page's policy refuses style attributes
        spot.style.left = a.x + "%";
        spot.style.top = a.y + "%";
        var input = el("input", {type: c.multiple ? "checkbox" : "radio", name: uid, value: a.id, id: uid + "-h-" + i});
        input.checked = stored.indexOf(a.id) >= 0;
        spot.appendChild(input);
        spot.appendChild(el("span", {"class": "visually-hidden"}, t("Area") + " " + a.label));
        frame.appendChild(spot);
      });
      box.appendChild(frame);
      box.addEventListener("change", function (event) {
        var picked = checkedWithin(box, c, event);
        if (picked) answer(item.ref, picked.length ? picked : null);
      });
      return box;
    },
    composite: function (item, uid) {
      // One widget per part, each answering through a stand-in whose ref names the part;
      // answer() gathers the parts into the item's one answer {part id: answer}.
      var c = item.content, box = el("div", {"class": "composite"});
      var stored = item.answer && typeof item.answer === "object" && !Array.isArray(item.answer) ? item.answer : {};
      c.parts.forEach(function (part, i) {
        var section = el("section", {"class": "composite-part"});
        section.appendChild(el("h3", {}, t("Part {label}", {label: part.label})));
        if (part.prompt) section.appendChild(el("p", {"class": "part-prompt"}, part.prompt));
        var stand = {ref: item.ref + PART + part.id, content: part, answer: stored[part.id] === undefined ? null : stored[part.id],
                     locked: item.locked, position: item.position, whole: item.ref, part: part.id};
        s.parts[stand.ref] = stand;
        if (part.inline && part.interaction === "choice") {
          // A drop-down in the sentence where the stem's "____ (label)" stands (QTI inline choice).
          var select = inlineChoice(stand, uid + "-p" + i, t("Part {label}", {label: part.label}));
          if (placeInStem(uid, "____ (" + part.label + ")", select)) return;
          section.appendChild(select);
        } else {
          section.appendChild((WIDGETS[part.interaction] || WIDGETS.text)(stand, uid + "-p" + i));
        }
        box.appendChild(section);
      });
      return box;
    },
    essay: function (item, uid) {
      var c = item.content, box = el("div", {"class": "entry essay"}), id = uid + "-essay", timer = null;
      box.appendChild(el("label", {"for": id}, t("Your answer")));
      var input = el("textarea", {id: id, rows: String(c.lines || 10), maxlength: c.max_length || null,
                                  "aria-describedby": uid + "-stem"});
      input.value = typeof item.answer === "string" ? item.answer : "";
      box.appendChild(input);
      function commit() {
        clearTimeout(timer);
        var value = input.value.trim() === "" ? null : input.value;
        if (value !== (typeof item.answer === "string" ? item.answer : null)) answer(item.ref, value);
      }
      input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(commit, 1500); });
      input.addEventListener("change", commit);
      return box;
    },
    text: function (item, uid) { return entry(item, uid, "text"); },
    number: function (item, uid) { return entry(item, uid, "decimal"); },
    order: function (item, uid) {
      var c = item.content;
      return orderList(item, uid, c.options, c.options.length);
    },
    graphic_order: function (item, uid) {
      // The picture with its areas marked, and a position to give each area (as for an ordering).
      var c = item.content, box = el("div", {"class": "graphic"});
      box.appendChild(picture(c, uid));
      box.appendChild(orderList(item, uid, areaOptions(c), c.positions));
      return box;
    },
    graphic_gap_match: function (item, uid) {
      // The picture with its areas marked; for each area, a select of the labels to place on it.
      var c = item.content, box = el("div", {"class": "graphic"});
      box.appendChild(picture(c, uid));
      box.appendChild(WIDGETS.match({ref: item.ref, answer: item.answer,
                                     content: {gaps: true, sources: c.sources, targets: areaOptions(c)}}, uid));
      return box;
    },
    associate: function (item, uid) { return pairList(item, uid); },
    graphic_associate: function (item, uid) {
      var box = el("div", {"class": "graphic"});
      box.appendChild(picture(item.content, uid));
      box.appendChild(pairList(item, uid));
      return box;
    },
    select_point: function (item, uid) {
      // Each point as two numbers (x, y in the picture's pixels) that keyboards and screen
      // readers can set; a click or tap on the picture fills the next point in.
      var c = item.content, box = el("fieldset", {"class": "select-point", "aria-describedby": uid + "-stem"});
      box.appendChild(el("legend", {}, t("Your answer")));
      var frame = picture(c, uid), img = frame.querySelector("img"), rows = [];
      var stored = Array.isArray(item.answer) ? item.answer : [];
      box.appendChild(frame);
      for (var i = 0; i < c.max_choices; i++) {
        var row = el("div", {"class": "point-row"}), mark = el("span", {"class": "point-mark", "aria-hidden": "true"}, String(i + 1));
        row.appendChild(el("span", {}, t("Point {n}", {n: i + 1}) + ": "));
        var xs = numberBox(uid + "-x-" + i, t("across, 0 to {n}", {n: c.width}), 0, c.width, stored[i] ? stored[i][0] : "");
        var ys = numberBox(uid + "-y-" + i, t("down, 0 to {n}", {n: c.height}), 0, c.height, stored[i] ? stored[i][1] : "");
        row.appendChild(xs.label); row.appendChild(xs.input); row.appendChild(ys.label); row.appendChild(ys.input);
        if (c.marker) {  // the thing placed (QTI position object) stands at the point
          mark.textContent = "";
          mark.classList.add("placed");
          mark.appendChild(el("img", {src: c.marker.image, alt: "", width: String(c.marker.width), height: String(c.marker.height)}));
        }
        mark.hidden = true; frame.appendChild(mark);
        rows.push({x: xs.input, y: ys.input, mark: mark});
        box.appendChild(row);
      }
      function place() {
        rows.forEach(function (r) {
          var ok = r.x.value !== "" && r.y.value !== "";
          r.mark.hidden = !ok;
          if (ok) { r.mark.style.left = (100 * r.x.value / c.width) + "%"; r.mark.style.top = (100 * r.y.value / c.height) + "%"; }
        });
      }
      function commit() {
        var points = [];
        rows.forEach(function (r) {
          var x = Number(r.x.value), y = Number(r.y.value);
          if (r.x.value === "" || r.y.value === "" || isNaN(x) || isNaN(y)) return;
          if (x < 0 || x > c.width || y < 0 || y > c.height) { note(t("A point must lie on the picture.")); return; }
          points.push([x, y]);
        });
        place();
        answer(item.ref, points.length ? points : null);
      }
      img.addEventListener("click", function (event) {
        if (item.locked) return;
        var box2 = img.getBoundingClientRect();
        var x = Math.round((event.clientX - box2.left) * c.width / box2.width);
        var y = Math.round((event.clientY - box2.top) * c.height / box2.height);
        var free = rows.filter(function (r) { return r.x.value === "" || r.y.value === ""; })[0] || rows[rows.length - 1];
        free.x.value = String(x); free.y.value = String(y);
        commit();
      });
      box.addEventListener("change", commit);
      place();
      return box;
    },
    upload: function (item, uid) {
      var box = el("div", {"class": "entry upload"});
      box.appendChild(fileBox(item, uid, t("Your file")));
      return box;
    },
    drawing: function (item, uid) {
      // A canvas to draw on with a finger, a pen or a mouse (over the item's picture), saved as a
      // PNG; and, for whoever cannot draw on the screen, a photo of a drawing made on paper.
      var c = item.content, box = el("div", {"class": "entry drawing"});
      var width = c.width || 600, height = c.height || 400;
      var frame = el("div", {"class": "drawing-frame"});
      if (c.image) frame.appendChild(el("img", {src: c.image, alt: c.alt || "", width: String(width), height: String(height)}));
      var canvas = el("canvas", {width: String(width), height: String(height), "aria-hidden": "true"});
      frame.appendChild(canvas);
      box.appendChild(frame);
      var pen = canvas.getContext("2d"), drawn = false, last = null;
      pen.lineWidth = 3; pen.lineCap = "round"; pen.strokeStyle = "#1a1a1a";
      function at(event) {
        var r = canvas.getBoundingClientRect();
        return {x: (event.clientX - r.left) * width / r.width, y: (event.clientY - r.top) * height / r.height};
      }
      canvas.addEventListener("pointerdown", function (event) {
        if (item.locked) return;
        last = at(event); canvas.setPointerCapture(event.pointerId); event.preventDefault();
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!last) return;
        var p = at(event);
        pen.beginPath(); pen.moveTo(last.x, last.y); pen.lineTo(p.x, p.y); pen.stroke();
        last = p; drawn = true;
      });
      ["pointerup", "pointercancel"].forEach(function (name) { canvas.addEventListener(name, function () { last = null; }); });
      var actions = el("div", {"class": "drawing-actions"});
      var save = el("button", {type: "button"}, t("Save the drawing"));
      var clear = el("button", {type: "button"}, t("Start again"));
      actions.appendChild(save); actions.appendChild(clear);
      box.appendChild(actions);
      var files = fileBox(item, uid, t("Or upload a photo of a drawing made on paper"));
      box.appendChild(files);
      clear.addEventListener("click", function () { pen.clearRect(0, 0, width, height); drawn = false; });
      save.addEventListener("click", function () {
        if (!drawn) { note(t("Draw something first.")); return; }
        // the picture underneath is the item's: the drawing is saved on a white ground
        var flat = el("canvas", {width: String(width), height: String(height)}), ctx = flat.getContext("2d");
        ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height); ctx.drawImage(canvas, 0, 0);
        flat.toBlob(function (blob) { files.send(blob, "drawing.png"); }, "image/png");
      });
      return box;
    },
    slider: function (item, uid) {
      // A native range input: arrows, Page Up/Down, Home and End move it; screen readers read it.
      var c = item.content, box = el("div", {"class": "entry slider"}), id = uid + "-slider";
      box.appendChild(el("label", {"for": id}, t("Your answer")));
      var input = el("input", {type: "range", id: id, min: String(c.lower), max: String(c.upper), step: String(c.step),
                               "aria-describedby": uid + "-stem " + uid + "-value"});
      var answered = typeof item.answer === "number" || (typeof item.answer === "string" && item.answer !== "");
      input.value = answered ? String(item.answer) : String(c.lower);
      var output = el("output", {id: uid + "-value", "for": id, "aria-live": "off"},
                      answered ? String(item.answer) : t("Not answered yet"));
      var scale = el("div", {"class": "slider-scale", "aria-hidden": "true"});
      scale.appendChild(el("span", {}, String(c.lower))); scale.appendChild(el("span", {}, String(c.upper)));
      box.appendChild(input); box.appendChild(scale); box.appendChild(output);
      input.addEventListener("input", function () { output.textContent = input.value; });
      input.addEventListener("change", function () { output.textContent = input.value; answer(item.ref, Number(input.value)); });
      return box;
    }
  };
  // A file input that sends the chosen file, then saves the answer naming it; the status line says
  // which file is the answer now. The returned box has send(blob, name) for a drawing.
  function fileBox(item, uid, text) {
    var c = item.content, box = el("div", {"class": "file-box"}), id = uid + "-file";
    var kinds = (c.accept || []).map(function (a) { return (FILE_NAMES[a] || a); }).join(", ");
    box.appendChild(el("label", {"for": id}, text));
    var input = el("input", {type: "file", id: id, accept: (c.accept || []).join(","),
                             "aria-describedby": uid + "-stem " + uid + "-file-rules " + uid + "-file-state"});
    box.appendChild(input);
    box.appendChild(el("p", {id: uid + "-file-rules", "class": "hint"},
                       t("{kinds}; at most {size} MB", {kinds: kinds, size: Math.floor(c.max_bytes / 104857.6) / 10})));
    var state = el("p", {id: uid + "-file-state", "aria-live": "polite"},
                   item.answer && item.answer.name ? t("Your answer: {name}", {name: item.answer.name}) : t("Not answered yet"));
    box.appendChild(state);
    box.send = function (blob, name) {
      if (item.locked) return;
      if (blob.size > c.max_bytes) { state.textContent = t("The file is too large."); return; }
      state.textContent = t("Sending {name}…", {name: name});
      fetch(cfg.api + "/responses/" + encodeURIComponent(item.ref) + "/file", {
        method: "POST", credentials: "same-origin", cache: "no-store", body: blob,
        headers: {"X-CSRFToken": csrf, "X-PIAA-Client": CLIENT, "X-File-Name": encodeURIComponent(name)}
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) { return {status: r.status, body: b}; });
      }).then(function (r) {
        if (r.status !== 200) { state.textContent = t("Could not save: {message}", {message: message(r)}); return; }
        state.textContent = t("Your answer: {name}", {name: r.body.answer.name});
        answer(item.ref, r.body.answer);
      }).catch(function () { state.textContent = t("The file could not be sent; try again when the connection is back."); });
    };
    input.addEventListener("change", function () { if (input.files[0]) box.send(input.files[0], input.files[0].name); });
    return box;
  }
  var FILE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"};
  // A label's text, or the choice's kept picture with the text as what screen readers read.
  function pictureLabel(label, o) {
    if (!o.html) { label.appendChild(document.createTextNode(o.text)); return label; }
    var figure = el("span", {"aria-hidden": "true"});
    figure.innerHTML = o.html;  // the server's allowlisted copy of the picture
    label.appendChild(figure);
    label.appendChild(el("span", {"class": "visually-hidden"}, o.text));
    return label;
  }
  // A closed select of the choices, answering as a single choice does; named for screen readers.
  function inlineChoice(item, uid, name) {
    var c = item.content, select = el("select", {id: uid + "-inline", "class": "inline-choice", "aria-label": name});
    select.appendChild(el("option", {value: ""}, "—"));
    c.options.forEach(function (o) { select.appendChild(el("option", {value: o.id}, o.text)); });
    select.value = item.answer === null || item.answer === undefined ? "" : String(item.answer);
    select.addEventListener("change", function () { answer(item.ref, select.value || null); });
    return select;
  }
  // Put node where marker stands in the stem's text (the first time); false when it is not there.
  function placeInStem(uid, marker, node) {
    var stem = $(uid + "-stem");
    if (!stem) return false;
    var walker = document.createTreeWalker(stem, NodeFilter.SHOW_TEXT), text;
    while ((text = walker.nextNode())) {
      var at = text.nodeValue.indexOf(marker);
      if (at < 0) continue;
      var after = text.splitText(at);
      after.nodeValue = after.nodeValue.slice(marker.length);
      text.parentNode.insertBefore(node, after);
      return true;
    }
    return false;
  }
  // The item's picture with a visible marker on each area (its label), placed by percentages.
  function picture(c, uid) {
    var frame = el("div", {"class": "hotspot-frame"});
    frame.appendChild(el("img", {src: c.image, alt: c.alt || "", width: String(c.width), height: String(c.height)}));
    (c.areas || []).forEach(function (a) {
      var mark = el("span", {"class": "area-mark", "aria-hidden": "true"}, a.label);
      mark.style.left = a.x + "%";  // through the CSSOM: the page's policy refuses style attributes
      mark.style.top = a.y + "%";
      frame.appendChild(mark);
    });
    return frame;
  }
  function areaOptions(c) {
    return c.areas.map(function (a) { return {id: a.id, text: t("Area") + " " + a.label}; });
  }
  function numberBox(id, text, min, max, value) {
    var input = el("input", {type: "number", id: id, min: String(min), max: String(max), step: "1", inputmode: "numeric"});
    input.value = value === "" || value === undefined ? "" : String(Math.round(value));
    return {label: el("label", {"for": id}, text), input: input};
  }
  // One select of positions per option; positions may be fewer than options (the rest unordered).
  function orderList(item, uid, options, positions) {
    var box = el("fieldset", {"class": "ordering", "aria-describedby": uid + "-stem"});
    box.appendChild(el("legend", {}, t("Your answer")));
    var list = el("ul"), stored = Array.isArray(item.answer) ? item.answer : [];
    options.forEach(function (o, i) {
      var li = el("li"), id = uid + "-pos-" + i, label = el("label", {"for": id});
      label.appendChild(el("span", {"class": "visually-hidden"}, t("Position") + ": "));
      pictureLabel(label, o);
      var select = el("select", {id: id, "data-option": o.id});
      select.appendChild(el("option", {value: ""}, "—"));
      for (var n = 1; n <= positions; n++) select.appendChild(el("option", {value: String(n)}, String(n)));
      select.value = stored.indexOf(o.id) >= 0 ? String(stored.indexOf(o.id) + 1) : "";
      li.appendChild(label); li.appendChild(select); list.appendChild(li);
    });
    box.appendChild(list);
    box.addEventListener("change", function () {
      var chosen = Array.prototype.filter.call(box.querySelectorAll("select"), function (n) { return n.value; });
      var positionsGiven = chosen.map(function (n) { return n.value; });
      if (chosen.length < Math.min(positions, options.length)) return;
      if (new Set(positionsGiven).size !== positionsGiven.length) { note(t("Choose a different position for each entry.")); return; }
      answer(item.ref, chosen.sort(function (a, b) { return a.value - b.value; })
        .map(function (n) { return n.dataset.option; }));
    });
    return box;
  }
  // Rows of two selects, each row one pair (QTI associate): a pair has no direction.
  function pairList(item, uid) {
    var c = item.content, box = el("fieldset", {"class": "pairs", "aria-describedby": uid + "-stem"});
    box.appendChild(el("legend", {}, t("Your answer")));
    var list = el("ul"), stored = Array.isArray(item.answer) ? item.answer : [];
    for (var r = 0; r < c.rows; r++) {
      var li = el("li");
      li.appendChild(el("span", {"class": "pair-name", id: uid + "-pair-" + r}, t("Pair {n}", {n: r + 1})));
      [0, 1].forEach(function (side) {
        var id = uid + "-pair-" + r + "-" + side, select = el("select", {id: id, "data-row": String(r)});
        li.appendChild(el("label", {"for": id, "class": "visually-hidden"},
                          t("Pair {n}", {n: r + 1}) + ", " + (side ? t("second") : t("first"))));
        select.appendChild(el("option", {value: ""}, "—"));
        c.choices.forEach(function (o) { select.appendChild(el("option", {value: o.id}, o.text)); });
        select.value = stored[r] ? stored[r][side] : "";
        li.appendChild(select);
      });
      list.appendChild(li);
    }
    box.appendChild(list);
    box.addEventListener("change", function () {
      var pairs = [], selects = box.querySelectorAll("select");
      for (var i = 0; i < selects.length; i += 2) {
        var a = selects[i].value, b = selects[i + 1].value;
        if (!a || !b) continue;
        if (a === b) { note(t("Choose two different entries for a pair.")); return; }
        pairs.push([a, b]);
      }
      answer(item.ref, pairs.length ? pairs : null);
    });
    return box;
  }
  // The values ticked in box, or null (and the tick undone) when that is more than max_choices.
  function checkedWithin(box, c, event) {
    var picked = Array.prototype.filter.call(box.querySelectorAll("input"), function (n) { return n.checked; })
      .map(function (n) { return n.value; });
    if (c.max_choices && picked.length > c.max_choices) {
      event.target.checked = false;
      note(t("Pick at most {n} options.", {n: c.max_choices}));
      return null;
    }
    return picked;
  }
  function entry(item, uid, mode) {
    var c = item.content, box = el("div", {"class": "entry"}), id = uid + "-entry", timer = null;
    box.appendChild(el("label", {"for": id}, t("Your answer")));
    var input = el("input", {type: "text", id: id, autocomplete: "off", inputmode: mode === "decimal" ? "decimal" : null,
                             maxlength: c.max_length || null,
                             "aria-describedby": uid + "-stem" + (c.unit ? " " + uid + "-unit" : "")});
    input.value = item.answer === null || item.answer === undefined ? "" : String(item.answer);
    box.appendChild(input);
    if (c.unit) box.appendChild(el("span", {id: uid + "-unit"}, " " + c.unit));
    var refusal = el("p", {"class": "error entry-error", id: id + "-error"});
    refusal.hidden = true;
    box.appendChild(refusal);
    function commit() {
      clearTimeout(timer);
      var value = input.value.trim() === "" ? null : input.value;
      if (value !== (item.answer === undefined ? null : (item.answer === null ? null : String(item.answer)))) answer(item.ref, value);
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(commit, 800); });
    input.addEventListener("change", commit);
    return box;
  }

  // --- the answer queue: in order, persisted, retried ----------------------------------------
  function persist() { store("queue", s.queue); store("seqs", s.seqs); }

  function answer(ref, value) {
    var stand = s.parts[ref];
    if (stand) {  // one part of a composite item: the item's answer is all its parts'
      var whole = s.byRef[stand.whole];
      if (!whole || whole.locked) return;
      stand.answer = value;
      var parts = {};
      if (whole.answer && typeof whole.answer === "object" && !Array.isArray(whole.answer)) {
        Object.keys(whole.answer).forEach(function (k) { parts[k] = whole.answer[k]; });
      }
      if (value === null || value === undefined) delete parts[stand.part]; else parts[stand.part] = value;
      return answer(whole.ref, Object.keys(parts).length ? parts : null);
    }
    var item = s.byRef[ref];
    if (!item || item.locked) return;
    item.answer = value;
    var seq = Math.max(s.seqs[ref] || 0, item.seq || 0) + 1;
    s.seqs[ref] = seq;
    var op = {op: "answer", ref: ref, answer: value, seq: seq}, replaced = false;
    if (HOLD_MS) op.due = Date.now() + HOLD_MS;
    // A newer answer replaces one still waiting for the same item (never one in flight).
    for (var i = s.queue.length - 1; i >= 0; i--) {
      var q = s.queue[i];
      if (q.ref !== ref) continue;
      if (q.op === "answer" && !q.sending) { s.queue[i] = op; replaced = true; }
      break;
    }
    if (!replaced) s.queue.push(op);
    delete s.errors[ref]; delete s.answerRefused[ref];
    s.saveState[ref] = s.online ? "saving" : "queued";
    persist();
    renderSaveState();
    flush();
  }

  // The ops that go in the next request. Answers go together (after a dead link, the whole
  // queue in one request), each with its own seq; a move past an item goes with the answers
  // before it (the reply carries the next item). Flags, and a move alone, go by themselves.
  var MAX_BATCH = 100, DEAD_LINK_RETRY_MS = 1500;
  function take() {
    var head = s.queue[0], ops = [];
    if (head.op !== "answer") return [head];
    for (var i = 0; i < s.queue.length && ops.length < MAX_BATCH; i++) {
      var q = s.queue[i];
      if (q.op === "next") { if (ops.length === i) ops.push(q); break; }  // only after all before it
      if (q.op === "answer" && !held(q, i)) ops.push(q);
    }
    return ops;
  }
  function held(op, i) {
    var after = s.queue[(i || 0) + 1];
    if (op.op !== "answer" || !op.due || Date.now() >= op.due) return false;
    return !(after && after.op === "next" && after.ref === op.ref);
  }
  function holdUntil(due) {
    if (s.holdTimer) clearTimeout(s.holdTimer);
    s.holdTimer = setTimeout(function () { s.holdTimer = null; flush(); }, Math.max(0, due - Date.now()) + 10);
  }

  function send(ops) {
    var op = ops[0], path = "/responses/" + encodeURIComponent(op.ref);
    var answers = ops.filter(function (q) { return q.op === "answer"; }), move = ops[ops.length - 1];
    move = move.op === "next" ? move : null;
    if (answers.length > 1 || (answers.length === 1 && move && move.ref !== op.ref)) {
      var body = {answers: answers.map(function (q) { return {ref: q.ref, answer: q.answer, seq: q.seq}; })};
      if (move) body.next = move.ref;
      return api("POST", "/responses", body);
    }
    if (answers.length === 1) return api("PUT", path, move ? {answer: op.answer, seq: op.seq, next: true}
                                                            : {answer: op.answer, seq: op.seq});
    if (op.op === "flag") return api("POST", path + "/flag", {flagged: op.flagged});
    return api("POST", "/next", {ref: op.ref});
  }

  // force: send what is held too (time up, submitting, the page going away).
  function flush(force) {
    if (force) s.queue.forEach(function (q) { delete q.due; });
    if (s.flushing) return force ? s.flushing.then(function () { return flush(); }) : s.flushing;
    s.flushing = (async function () {
      while (s.queue.length) {
        if (held(s.queue[0], 0)) { holdUntil(s.queue[0].due); break; }
        var ops = take(), r, stamp = ++s.issued;
        ops.forEach(function (op) {
          op.sending = true;
          if (op.op === "answer") s.saveState[op.ref] = s.online ? "saving" : "queued";
        });
        renderSaveState();
        try { r = await send(ops); } catch (e) {
          ops.forEach(function (op) { delete op.sending; if (op.op === "answer") s.saveState[op.ref] = "queued"; });
          setOnline(false); retryLater(true); return;
        }
        ops.forEach(function (op) { delete op.sending; });
        setOnline(true);
        var keep = settle(ops, r, stamp);
        if (keep === "retry") { retryLater(); return; }
        s.queue = s.queue.filter(function (q) { return ops.indexOf(q) < 0 || keep.indexOf(q) >= 0; });
        persist();
        if (keep.length) { retryLater(); return; }
      }
      s.retryDelay = 1000;
    })().finally(function () { s.flushing = null; renderSaveState(); });
    return s.flushing;
  }

  // What became of a request of ops: "retry" (all stay queued), or the ops to keep queued.
  function settle(ops, r, stamp) {
    var answers = ops.filter(function (q) { return q.op === "answer"; });
    var move = ops[ops.length - 1].op === "next" ? ops[ops.length - 1] : null;
    if (r.status >= 200 && r.status < 300) {
      var results = r.body.results || (answers.length ? [r.body] : []), keep = [];
      answers.forEach(function (op, i) {
        var result = results[i] || {};
        if (result.error) { if (refused(op, result.error, r.status) === "retry") keep.push(op); }
        else saved(op, result.seq);
      });
      if (move && r.body.items) applyItems(r.body, stamp);
      else if (move && r.body.next_error) {
        if (refused(move, r.body.next_error, 409) === "retry") keep.push(move);
      } else if (r.body.attempt) applyStatus(r.body.attempt);
      return keep;
    }
    if (r.status === 401) { alertText(t("Your session has ended. Sign in again in this browser; your queued answers are kept.")); return "retry"; }
    if (r.status >= 500 || r.status === 429) return "retry";
    var error = (r.body && r.body.error) || {message: "HTTP " + r.status};
    if (ops.map(function (op) { return refused(op, error, r.status); }).indexOf("retry") >= 0) return "retry";
    return [];
  }
  function saved(op, seq) {
    var waiting = s.queue.some(function (q) { return q !== op && q.op === "answer" && q.ref === op.ref; });
    if (s.byRef[op.ref]) s.byRef[op.ref].seq = Math.max(s.byRef[op.ref].seq || 0, seq || 0);
    if (!waiting) s.saveState[op.ref] = "saved";
  }
  // An op the server refused: "retry" when it may be taken later (paused, another device),
  // otherwise say so and drop it (time up, final, not in progress, bad answer).
  function refused(op, error, status) {
    if (status === 409 && (error.code === "paused" || error.code === "other_device")) {
      if (error.code === "other_device") alertText(error.message);
      refreshStatus();
      return "retry";
    }
    if (op.op === "answer") {
      s.saveState[op.ref] = "error"; s.errors[op.ref] = error.message;
      s.answerRefused[op.ref] = error.field === "answer";  // said beside the answer box
    }
    else alertText(error.message);
    if (status === 409) refreshStatus();
    if (op.op === "next" && error.code === "answer_final") loadItems();  // already moved on: show where the sitting is
    else if (op.op === "next" && s.view === "question") $("next-button").disabled = false;
    return "done";
  }

  // dead: the request never reached the server (a dead link costs the server nothing), so try
  // again soon, to send the queue as soon as the link is back, even when no "online" event
  // says so; a server that refused or failed is given more and more time.
  function retryLater(dead) {
    if (s.retryTimer) return;
    var delay = dead ? DEAD_LINK_RETRY_MS * (0.75 + Math.random() / 2) : s.retryDelay;
    s.retryTimer = setTimeout(function () { s.retryTimer = null; flush(); }, delay);
    if (!dead) s.retryDelay = Math.min(s.retryDelay * 2, 15000);
  }

  function setOnline(online) {
    if (s.online === online) return;
    s.online = online;
    Object.keys(s.saveState).forEach(function (ref) {
      if (!online && s.saveState[ref] === "saving") s.saveState[ref] = "queued";
    });
    if (online) {
      s.retryDelay = 1000;
      if (s.queue.length) { alertText(t("The connection is back. Sending your answers…")); flush(); }
    }
    renderSaveState();
  }

  // --- what the candidate sees of the saving ------------------------------------------------
  function pendingAnswers() { return s.queue.filter(function (q) { return q.op === "answer"; }).length; }
  function renderSaveState() {
    var box = $("save-state"), n = pendingAnswers(), errors = Object.keys(s.errors), state, text;
    if (n && !s.online) { state = "queued"; text = t("Offline: {n} answer(s) waiting; they are sent as soon as the connection returns.", {n: n}); }
    else if (n || s.queue.length) { state = "saving"; text = t("Saving…"); }
    else if (errors.length) { state = "error"; text = t("Could not save: {message}", {message: s.errors[errors[0]]}); }
    else { state = "saved"; text = t("All answers saved"); }
    if (state === "saved" && $("alert").textContent === t("The connection is back. Sending your answers…")) alertText("");
    box.dataset.state = state;
    box.dataset.pending = String(n);
    if (box.textContent !== text) box.textContent = text;
    renderItemNote();
    renderNavigator();
    if (s.view === "review") renderReview();
  }
  function note(text) { $("item-note").textContent = text; }
  function renderItemNote() {
    var item = current();
    if (!item || s.view !== "question") return;
    var state = s.saveState[item.ref], box = $("item-note");
    box.dataset.state = state || "none";
    if (item.locked) note(t("This answer is final: it cannot be changed after moving on."));
    else if (state === "queued") note(t("Offline: your answer is kept on this device and sent when the connection returns."));
    else if (state === "saving") note(t("Saving…"));
    else if (state === "error" && showBeside(item)) note(t("Not saved"));
    else if (state === "error") note(t("Could not save: {message}", {message: s.errors[item.ref]}));
    else if (state === "saved" && isAnswered(item)) note(t("Saved"));
    else note(t("Not answered yet"));
    if (state !== "error") showBeside(null);
  }
  // A refused typed answer ("Type a number, such as 12 or 3.5.") is said under its box, which
  // is marked invalid and described by it; true when there was such a box to say it beside.
  function showBeside(item) {
    var input = $("item").querySelector(".entry input"), refusal = $("item").querySelector(".entry-error");
    if (!input || !refusal) return false;
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== refusal.id;
    });
    var wrong = item && s.answerRefused[item.ref];
    refusal.textContent = wrong ? s.errors[item.ref] : "";
    refusal.hidden = !wrong;
    if (wrong) { input.setAttribute("aria-invalid", "true"); described.push(refusal.id); }
    else input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", described.join(" "));
    return Boolean(wrong);
  }

  function renderNavigator() {
    if (cfg.one_at_a_time) return;
    var list = $("navigator-list");
    if (list.children.length !== s.items.length) {
      list.textContent = "";
      s.items.forEach(function (item, i) {
        var li = el("li"), button = el("button", {type: "button", "data-index": i}, String(item.position + 1));
        button.addEventListener("click", function () { go(i); });
        li.appendChild(button); list.appendChild(li);
      });
    }
    s.items.forEach(function (item, i) {
      var button = list.children[i].firstChild, words = [];
      var answered = isAnswered(item), queued = s.saveState[item.ref] === "queued";
      button.className = (answered ? "answered" : "") + (item.flagged ? " flagged" : "") + (queued ? " queued" : "");
      words.push(t(queued ? "Queued" : (answered ? "Answered" : "Unanswered")));
      if (item.flagged) words.push(t("Flagged"));
      button.setAttribute("aria-label", t("Question {n}", {n: item.position + 1}) + ": " + words.join(", "));
      if (i === s.index && s.view === "question") button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  }

  function renderReview() {
    var rows = $("review-rows"), unanswered = 0, flagged = 0;
    rows.textContent = "";
    s.items.forEach(function (item, i) {
      var answered = isAnswered(item), queued = s.saveState[item.ref] === "queued";
      if (!answered) unanswered++;
      if (item.flagged) flagged++;
      var tr = el("tr"), cell = el("td"), go_ = el("button", {type: "button"}, t("Question {n}", {n: item.position + 1}));
      go_.addEventListener("click", function () { go(i); });
      cell.appendChild(go_); tr.appendChild(cell);
      tr.appendChild(el("td", {}, t(queued ? "Queued" : (answered ? "Answered" : "Unanswered"))));
      tr.appendChild(el("td", {}, item.flagged ? t("Flagged") : "—"));
      rows.appendChild(tr);
    });
    $("review-summary").textContent = summary(unanswered, flagged);
  }
  function summary(unanswered, flagged) {
    return unanswered || flagged ? t("You have {unanswered} unanswered and {flagged} flagged question(s).",
                                     {unanswered: unanswered, flagged: flagged}) : t("Every question has an answer.");
  }

  // --- moving around ------------------------------------------------------------------------
  function go(i) { s.index = i; showQuestion(true); }
  function review() { setView("review"); renderReview(); renderNavigator(); $("review-heading").focus(); }
  $("prev-button").addEventListener("click", function () { if (s.index > 0) go(s.index - 1); });
  $("review-button").addEventListener("click", review);
  $("back-button").addEventListener("click", function () { showQuestion(true); });
  $("next-button").addEventListener("click", function () {
    if (!cfg.one_at_a_time) { if (s.index < s.items.length - 1) go(s.index + 1); else review(); return; }
    var item = current();
    if (!item) return;
    if (!isAnswered(item) && s.skipRef !== item.ref) {
      s.skipRef = item.ref;
      note(t("No answer given. Press Next again to move on without answering."));
      return;
    }
    this.disabled = true;
    item.locked = true;
    $("item").querySelectorAll("input, select").forEach(function (n) { n.disabled = true; });
    s.queue.push({op: "next", ref: item.ref});
    persist();
    note(s.online ? t("Loading the next question…") : t("Offline: your answer is kept on this device and sent when the connection returns."));
    flush();
  });
  $("flag-button").addEventListener("click", function () {
    var item = current();
    item.flagged = !item.flagged;
    s.queue.push({op: "flag", ref: item.ref, flagged: item.flagged});
    persist();
    this.setAttribute("aria-pressed", item.flagged ? "true" : "false");  // a toggle keeps its name
    renderNavigator();
    flush();
  });
  $("clear-button").addEventListener("click", function () {
    var item = current();
    if (!item || item.locked || !isAnswered(item)) return;
    answer(item.ref, null);
    renderItem(item);
    renderItemNote();
  });

  // --- submitting ---------------------------------------------------------------------------
  var submitDialog = $("submit-dialog");
  Array.prototype.forEach.call(document.querySelectorAll(".submit-button"), function (button) {
    button.addEventListener("click", function () {
      var unanswered = s.items.filter(function (i) { return !isAnswered(i); }).length;
      var flagged = s.items.filter(function (i) { return i.flagged; }).length;
      $("submit-summary").textContent = cfg.one_at_a_time ? t("All questions are answered. Submit when you are ready.")
        : summary(unanswered, flagged);
      $("submit-problem").textContent = "";
      submitDialog.showModal();
    });
  });
  $("submit-cancel").addEventListener("click", function () { submitDialog.close(); });
  $("submit-confirm").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    flush(true).then(function () {
      if (s.queue.length) throw new Error("offline");
      return api("POST", "/submit", {});
    }).then(function (r) {
      button.disabled = false;
      if (r.status === 200) finish();
      else $("submit-problem").textContent = message(r);
    }).catch(function () {
      button.disabled = false;
      $("submit-problem").textContent = t("You are offline. Your answers are safe on this device; submit once the connection returns.");
    });
  });

  // --- proctoring signals, sent in batches with the heartbeat --------------------------------
  function signal(kind, data) {
    if (s.signals.length >= MAX_SIGNALS) s.signals.shift();
    s.signals.push({kind: kind, at: new Date().toISOString(), data: data || {}});
    store("signals", s.signals);
  }
  // The heartbeat: the signals kept so far, or (none) the status asked for only if it changed.
  // Either way the server answers with no body when the status is the version held here.
  function beat() {
    if (s.beating) return s.beating;
    var batch = s.signals.slice(), known = s.status && s.status.v;
    var call = batch.length ? api("POST", "/events", {events: batch, known: known})
      : api("GET", "", undefined, known ? {"If-None-Match": '"' + known + '"'} : {});
    s.beating = call.then(function (r) {
      setOnline(true);
      if (r.status === 200 || r.status === 204 || r.status === 304) {
        s.heard = Date.now();
        if (batch.length) { s.signals.splice(0, batch.length); store("signals", s.signals); }
        if (r.status === 200) applyStatus(batch.length ? r.body.attempt : r.body);
        else resync(r.headers.get("X-PIAA-Time-Left"));
      } else if (r.status === 401) {
        alertText(t("Your session has ended. Sign in again in this browser; your queued answers are kept."));
      }
      if (s.queue.length) flush();
    }, function () { setOnline(false); }).finally(function () { s.beating = null; });
    return s.beating;
  }
  // Beat when nothing has brought the status for a while: every poll_s while something is
  // going on (waiting for admission, paused, offline), every quiet_poll_s while the sitting
  // runs undisturbed (the replies to moves and answers carry the status too).
  function pulse() {
    var quiet = s.online && s.status && s.status.state === "in_progress";
    if (Date.now() - s.heard >= 1000 * (quiet ? cfg.quiet_poll_s : cfg.poll_s)) beat();
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) return;
    signal("page_hidden");
    if (s.queue.length) flush(true);  // the page may not come back: send what is held
  });
  window.addEventListener("blur", function () { if (!document.hidden) signal("window_blur"); });
  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement && s.wasFullscreen) signal("fullscreen_exit");
    s.wasFullscreen = !!document.fullscreenElement;
  });
  ["copy", "paste"].forEach(function (kind) { document.addEventListener(kind, function () { signal(kind); }); });
  document.addEventListener("contextmenu", function () { signal("context_menu"); });
  window.addEventListener("offline", function () { signal("offline"); setOnline(false); });
  window.addEventListener("online", function () {
    signal("online");
    setOnline(true);
    if (s.retryTimer) { clearTimeout(s.retryTimer); s.retryTimer = null; }
    flush();
    beat();
  });
  if ("BroadcastChannel" in window) {
    var tab = randomId(), channel = new BroadcastChannel("piaa-attempt-" + cfg.attempt_id);
    channel.onmessage = function (e) {
      var m = e.data || {};
      if (m.tab === tab || (m.type !== "hello" && m.type !== "here")) return;
      if (m.type === "hello") channel.postMessage({type: "here", tab: tab});
      signal("second_tab");
      alertText(t("This assessment is open in another tab or window. Close the other one: only one may be used."));
    };
    channel.postMessage({type: "hello", tab: tab});
  }

  // --- start ---------------------------------------------------------------------------------
  setView("loading");
  renderSaveState();
  setInterval(tick, 1000);
  setInterval(pulse, 1000);
  // The page carries what the API would answer now, so the question shows without a call.
  // Items first, then the queue: a queued move must not be overtaken by an older view.
  var initial = cfg.initial && cfg.initial.attempt ? cfg.initial : null;
  var ready = !initial ? refreshStatus().then(function () { return s.loading; })
    : Promise.resolve(initial.attempt.state === "in_progress" ? applyItems(initial, ++s.issued) : applyStatus(initial.attempt));
  // Then one heartbeat at once: the server hears of this client (a second tab or device is
  // noticed now, not at the next beat) and any signal kept from before a reload goes up.
  ready.then(function () { if (s.queue.length) flush(); beat(); });
})();
