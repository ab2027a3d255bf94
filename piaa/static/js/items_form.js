// Item form: add and remove option / accepted-answer rows. Without this script the form
// still works: it always shows a few blank rows, and blank rows are ignored on save.
(function () {
  "use strict";
  // Only the row's own number changes: in a composite's part ("part-0-option-0-en") the
  // part's number stays.
  function renumber(node, from, to) {
    var row = new RegExp("(option|accepted)-" + from + "-");
    node.querySelectorAll("[name],[id],[for],[value]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v.replace(row, "$1-" + to + "-"));
      });
      if (el.type === "radio" && /(^|-)key$/.test(el.name)) el.value = String(to);
    });
    node.querySelectorAll("legend").forEach(function (el) {
      el.textContent = el.textContent.replace(/\d+$/, String(to + 1));
    });
    node.querySelectorAll(".remove-row").forEach(function (el) {
      el.textContent = el.textContent.replace(/\d+$/, String(to + 1));
    });
  }
  function clear(row) {
    row.querySelectorAll("input").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = false;
      else if (el.type !== "radio") el.value = "";
    });
  }
  document.querySelectorAll("fieldset.options, fieldset.accepted").forEach(function (set) {
    var list = set.querySelector(".option-rows");
    var add = set.querySelector(".add-row");
    if (!list || !add) return;
    var max = parseInt(set.getAttribute("data-max") || "16", 10);
    function wire(row) {
      var remove = row.querySelector(".remove-row");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        clear(row);
        row.hidden = true;
        add.focus();
      });
    }
    list.querySelectorAll(".option-row").forEach(wire);
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll(".option-row");
      if (rows.length >= max) { add.disabled = true; return; }
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      renumber(copy, rows.length - 1, rows.length);
      clear(copy);
      copy.hidden = false;
      copy.querySelectorAll("input[type=hidden]").forEach(function (el) { el.value = ""; });
      list.appendChild(copy);
      wire(copy);
      var first = copy.querySelector("input:not([type=hidden])");
      if (first) first.focus();
      if (rows.length + 1 >= max) add.disabled = true;
    });
  });
})();
