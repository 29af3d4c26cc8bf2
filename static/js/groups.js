// Repeating groups in exercise forms ("Add another"): clones the row template with the next free index.
(function () {
  "use strict";
  function addRow(group) {
    var rows = group.querySelector(".group-rows");
    var button = group.querySelector(".add-row");
    var max = parseInt((button && button.dataset.max) || "20", 10);
    if (rows.children.length >= max) { return null; }
    var index = 0;
    rows.querySelectorAll("[name]").forEach(function (el) {
      var rest = el.name.slice(group.dataset.group.length + 1);
      index = Math.max(index, parseInt(rest.split(".")[0], 10) + 1);
    });
    var html = group.querySelector("template.group-template").innerHTML.split("__index__").join(String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    row.querySelector(".row-number").textContent = String(rows.children.length + 1);
    rows.appendChild(row);
    return row;
  }
  window.EmotiPalGroups = { addRow: addRow };
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".add-row");
    if (!button) { return; }
    var row = addRow(button.closest("[data-group]"));
    if (row) { var first = row.querySelector("input, textarea, select"); if (first) { first.focus(); } }
  });
})();
