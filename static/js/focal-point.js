/* The photo admin's focal point: click the subject on the preview to fill in the two numbers (0 to 1) that
   cards crop around; the marker follows the numbers when they are typed in. No inline script: loaded as a file. */
(function () {
  "use strict";

  function setUp(picker) {
    var inputX = document.getElementById(picker.dataset.xInput);
    var inputY = document.getElementById(picker.dataset.yInput);
    var image = picker.querySelector("img");
    var marker = picker.querySelector(".focal-point-marker");
    if (!inputX || !inputY || !image || !marker) {
      return;
    }

    function place() {
      var x = parseFloat(inputX.value);
      var y = parseFloat(inputY.value);
      if (isNaN(x) || isNaN(y)) {
        marker.hidden = true;
        return;
      }
      marker.style.left = Math.min(Math.max(x, 0), 1) * 100 + "%";
      marker.style.top = Math.min(Math.max(y, 0), 1) * 100 + "%";
      marker.hidden = false;
    }

    image.addEventListener("click", function (event) {
      var box = image.getBoundingClientRect();
      inputX.value = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1).toFixed(3);
      inputY.value = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1).toFixed(3);
      inputX.dispatchEvent(new Event("change", { bubbles: true }));
      place();
    });
    inputX.addEventListener("input", place);
    inputY.addEventListener("input", place);
    place();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".focal-point-picker").forEach(setUp);
  });
})();
