/* The workflow steps of an article's change page (submit, approve, publish, schedule...) are forms of their own,
   outside the article's form: they act on the story as saved. While the article's form holds changes not saved
   yet, a step is refused here with the panel's message, so that no typing is published unsaved or lost when the
   step makes the story read-only. The page carries <div id="workflow" data-unsaved-message="...">. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("workflow");
    var form = document.getElementById("article_form");
    if (!panel || !form) {
      return;
    }
    var unsaved = false;
    // Typing in a field, a choice changed; CKEditor's body fields report their changes as input events too
    // (ckeditor-init.js), once the editor has loaded the saved text.
    form.addEventListener("input", function () { unsaved = true; });
    form.addEventListener("change", function () { unsaved = true; });

    function warn() {
      var box = panel.querySelector(".workflow-unsaved");
      if (!box) {
        box = document.createElement("ul");
        box.className = "messagelist workflow-unsaved";
        box.setAttribute("role", "alert");
        var item = document.createElement("li");
        item.className = "error";
        item.textContent = panel.dataset.unsavedMessage;
        item.tabIndex = -1;
        box.appendChild(item);
        var heading = panel.querySelector("h2");
        panel.insertBefore(box, heading ? heading.nextSibling : panel.firstChild);
      }
      box.firstChild.focus();
    }

    panel.querySelectorAll("form.workflow-action").forEach(function (step) {
      step.addEventListener("submit", function (event) {
        if (unsaved) {
          event.preventDefault();
          warn();
        }
      });
    });
  });
})();
