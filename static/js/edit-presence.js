/* Tells an editor who else has this article's edit form open, and tells the others about them.
   The page carries <div id="edit-presence" data-url="..."> (rendered with the current list by the server);
   this script refreshes it every 30 seconds with a POST, which also marks this user as still here. */
(function () {
  "use strict";

  var INTERVAL = 30000;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function render(box, others) {
    var list = box.querySelector("ul");
    list.textContent = "";
    others.forEach(function (other) {
      var item = document.createElement("li");
      item.className = "warning";
      item.textContent = other.text;
      list.appendChild(item);
    });
    box.hidden = others.length === 0;
  }

  function beat(box) {
    fetch(box.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) {
        render(box, data.others);
      }
    }).catch(function () { /* offline for a moment: try again at the next beat */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("edit-presence");
    if (!box || !box.dataset.url) {
      return;
    }
    window.setInterval(function () { beat(box); }, INTERVAL);
  });
})();
