/* The workflow steps of an article's change page (submit, approve, publish, schedule...) are forms of their own,
   outside the article's form: they act on the story as saved. While the article's form holds changes not saved
   yet, a step is refused here with the panel's message, so that no typing is published unsaved or lost when the
   step makes the story read-only. The page carries <div id="workflow" data-unsaved-message="...">.
   "Changes" are judged by the form's data, compared with what it held when the page opened: typing, but also the
   admin's widgets that fire no input event (the autocomplete of bylines, the calendar's shortcuts, lookups), and
   CKEditor's text (which it writes back into its textarea on every change: ckeditor-init.js). */
(function () {
  "use strict";

  function formState(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") {
        pairs.push([name, typeof value === "string" ? value : value.name]);
      }
    });
    return new URLSearchParams(pairs).toString();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("workflow");
    var form = document.getElementById("article_form");
    if (!panel || !form) {
      return;
    }
    var opened = formState(form);

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
        if (formState(form) !== opened) {
          event.preventDefault();
          warn();
        }
      });
    });
  });
})();
