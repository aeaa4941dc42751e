/* A new row of a story's bylines, photos or entries takes the next number in its order box (one more than the
   largest of its group), so that rows are numbered in the order they were added and typing a number moves a row
   where the editor means: every new row said 0, and typing 1 into the third byline put it last (0, 0, 1). */
(function () {
  "use strict";

  document.addEventListener("formset:added", function (event) {
    var row = event.target;
    var input = row.querySelector("input[name$='-order']");
    var group = row.closest(".inline-group");
    if (!input || !group || (input.value !== "" && input.value !== "0")) {
      return;
    }
    var highest = 0;
    group.querySelectorAll("input[name$='-order']").forEach(function (other) {
      var value = parseInt(other.value, 10);
      if (other !== input && other.name.indexOf("__prefix__") === -1 && !isNaN(value) && value > highest) {
        highest = value;
      }
    });
    input.value = String(highest + 1);
  });
})();
