// Item form, items with structure. Without this script every box is on the page and the form
// still works; with it:
// - a composite part shows only the boxes of the kind of answer chosen for it (the others are
//   disabled, so a box left from another kind is not sent);
// - points boxes show only when the scoring gives points per choice;
// - a matching item's pair boxes name the list items as they are typed;
// - a hotspot item's areas are drawn on its picture as their coordinates are typed, and a
//   click on the picture adds that point to the area being edited.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function showFor(part) {
    var select = part.querySelector("select.part-type");
    if (!select) return;
    var kind = select.value;
    part.querySelectorAll("[data-for]").forEach(function (box) {
      box.hidden = box.getAttribute("data-for").split(" ").indexOf(kind) < 0;
    });
    part.querySelectorAll("[data-for] input, [data-for] select, [data-for] textarea").forEach(function (el) {
      el.disabled = !!el.closest("[data-for][hidden]");
    });
  }
  document.querySelectorAll("[data-part]").forEach(function (part) {
    var select = part.querySelector("select.part-type");
    if (!select) return;
    select.addEventListener("change", function () { showFor(part); });
    showFor(part);
  });

  var scoring = document.querySelectorAll("input[name=scoring]");
  function showWeights() {
    var weighted = document.getElementById("scoring-weighted");
    document.querySelectorAll(".weighted-only").forEach(function (el) {
      el.hidden = !(weighted && weighted.checked);
    });
  }
  scoring.forEach(function (radio) { radio.addEventListener("change", showWeights); });
  if (scoring.length) showWeights();

  document.querySelectorAll(".pair-name[data-from]").forEach(function (name) {
    var box = document.getElementById(name.getAttribute("data-from"));
    if (!box) return;
    function copy() { name.textContent = box.value.trim() ? ": " + box.value.trim() : ""; }
    box.addEventListener("input", copy);
  });

  // Pairs are offered only between items that have been written (a ticked pair stays shown).
  function written(row) {
    return ["en", "hi"].some(function (lang) {
      var box = document.getElementById(row + "-" + lang);
      return box && box.value.trim();
    });
  }
  function offerPairs() {
    document.querySelectorAll(".pair-row[data-source]").forEach(function (set) {
      var any = false;
      set.querySelectorAll("li[data-target]").forEach(function (cell) {
        var on = written(cell.getAttribute("data-target")) || cell.querySelector("input[type=checkbox]").checked;
        cell.hidden = !on;
        any = any || on;
      });
      set.hidden = !(any && written(set.getAttribute("data-source")) ||
                     set.querySelector("input[type=checkbox]:checked"));
    });
  }
  if (document.querySelector(".pair-row")) {
    document.querySelectorAll(".match-list input").forEach(function (box) { box.addEventListener("input", offerPairs); });
    offerPairs();
  }

  var editor = document.getElementById("hotspot-editor");
  if (!editor) return;
  var width = parseFloat(editor.getAttribute("data-width")), height = parseFloat(editor.getAttribute("data-height"));
  var svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "hotspot-overlay");
  editor.appendChild(svg);
  var rows = Array.prototype.slice.call(document.querySelectorAll(".area-row"));
  var editing = null;

  function numbers(text) {
    return text.split(/[\s,;]+/).filter(Boolean).map(Number).filter(function (n) { return !isNaN(n); });
  }
  function shapeOf(row) {
    var kind = row.querySelector("select").value, c = numbers(row.querySelector(".area-coords").value), el;
    if (kind === "rect" && c.length === 4) {
      el = document.createElementNS(SVG, "rect");
      el.setAttribute("x", Math.min(c[0], c[2])); el.setAttribute("y", Math.min(c[1], c[3]));
      el.setAttribute("width", Math.abs(c[2] - c[0])); el.setAttribute("height", Math.abs(c[3] - c[1]));
    } else if (kind === "circle" && c.length === 3) {
      el = document.createElementNS(SVG, "circle");
      el.setAttribute("cx", c[0]); el.setAttribute("cy", c[1]); el.setAttribute("r", c[2]);
    } else if (kind === "ellipse" && c.length === 4) {
      el = document.createElementNS(SVG, "ellipse");
      el.setAttribute("cx", c[0]); el.setAttribute("cy", c[1]); el.setAttribute("rx", c[2]); el.setAttribute("ry", c[3]);
    } else if (c.length >= 2) {  // a polygon, or a shape still being drawn: its points so far
      el = document.createElementNS(SVG, c.length >= 6 && kind === "poly" ? "polygon" : "polyline");
      var points = [];
      for (var i = 0; i + 1 < c.length; i += 2) points.push(c[i] + "," + c[i + 1]);
      el.setAttribute("points", points.join(" "));
    }
    return el;
  }
  // Where an area's number goes: the middle of its shape (as the candidate's button is placed).
  function centre(kind, c) {
    if (kind === "rect" && c.length >= 4) return [(c[0] + c[2]) / 2, (c[1] + c[3]) / 2];
    if (kind === "circle" || kind === "ellipse") return [c[0], c[1]];
    var xs = 0, ys = 0, n = 0;
    for (var i = 0; i + 1 < c.length; i += 2) { xs += c[i]; ys += c[i + 1]; n += 1; }
    return n ? [xs / n, ys / n] : [0, 0];
  }
  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    rows.forEach(function (row, n) {
      var el = shapeOf(row);
      if (!el) return;
      var right = row.querySelector("input[type=checkbox]").checked;
      el.setAttribute("class", "area-shape" + (right ? " right" : "") + (row === editing ? " editing" : ""));
      svg.appendChild(el);
      var middle = centre(row.querySelector("select").value, numbers(row.querySelector(".area-coords").value));
      var tag = document.createElementNS(SVG, "text");
      tag.setAttribute("x", middle[0]); tag.setAttribute("y", middle[1]);
      tag.setAttribute("text-anchor", "middle"); tag.setAttribute("dominant-baseline", "middle");
      tag.setAttribute("class", "area-number");
      tag.textContent = String(n + 1);
      svg.appendChild(tag);
    });
  }
  rows.forEach(function (row) {
    row.addEventListener("input", draw);
    row.addEventListener("change", draw);
    row.addEventListener("focusin", function () { editing = row; draw(); });
  });
  svg.addEventListener("click", function (event) {
    var target = editing || rows.filter(function (r) { return !r.querySelector(".area-coords").value.trim(); })[0];
    if (!target) return;
    var box = svg.getBoundingClientRect();
    var x = Math.round((event.clientX - box.left) * width / box.width);
    var y = Math.round((event.clientY - box.top) * height / box.height);
    var coords = target.querySelector(".area-coords");
    var kind = target.querySelector("select").value, c = numbers(coords.value);
    if (kind === "circle" && c.length >= 2) {  // the second click sets the radius
      c = [c[0], c[1], Math.round(Math.sqrt(Math.pow(x - c[0], 2) + Math.pow(y - c[1], 2)))];
    } else if ((kind === "rect" || kind === "ellipse") && c.length >= 4) {
      c = [x, y];  // a full rectangle starts again
    } else {
      c.push(x, y);
    }
    coords.value = c.join(", ");
    editing = target;
    draw();
  });
  document.querySelectorAll(".script-only").forEach(function (el) { el.hidden = false; });
  draw();
})();
