/* Enter in an autocomplete box (the admin's select2: a byline's reporter, a photo, a topic) picks the highlighted
   line. Typed fast, before the results for what the box holds had come, that line was one of the results for what
   it held before: typing 王明 and Enter at once gave the story the first reporter of the whole list. Now Enter
   waits for the results of what the box holds, then picks as it would have. Enter that ends an input method's
   composition (pinyin to characters) is the input method's and passes. */
(function () {
  "use strict";

  var answered = null; // the search term whose results the open list shows
  var waiting = null; // the search box whose Enter waits for its results

  function searchTerm(url) {
    if (!url || url.indexOf("/autocomplete/") === -1) {
      return null;
    }
    var query = url.split("?")[1] || "";
    return new URLSearchParams(query).get("term") || "";
  }

  function isSearchBox(element) {
    return element && element.classList && element.classList.contains("select2-search__field");
  }

  document.addEventListener(
    "keydown",
    function (event) {
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229 || !isSearchBox(event.target)) {
        return;
      }
      if (answered === event.target.value) {
        waiting = null;
        return;
      }
      // The list still shows the results of an earlier term: keep Enter from select2 until the results come.
      event.preventDefault();
      event.stopPropagation();
      waiting = event.target;
    },
    true
  );

  document.addEventListener(
    "input",
    function (event) {
      if (isSearchBox(event.target)) {
        waiting = null; // typing on after Enter: the Enter was for what the box held then
      }
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () {
    var $ = window.django && window.django.jQuery;
    if (!$) {
      return;
    }
    $(document).on("ajaxSend", function (event, request, settings) {
      if (searchTerm(settings.url) !== null) {
        answered = null;
      }
    });
    $(document).on("ajaxSuccess", function (event, request, settings) {
      var term = searchTerm(settings.url);
      if (term === null) {
        return;
      }
      // select2 draws the results in a promise's callback, which jQuery runs on a timer queued before this
      // event: a timer of ours runs after it, on the list as drawn.
      window.setTimeout(function () {
        answered = term;
        var box = waiting;
        if (box && box.value === term && document.activeElement === box) {
          waiting = null;
          $(box).trigger($.Event("keydown", { which: 13, keyCode: 13, key: "Enter" }));
        }
      }, 0);
    });
  });
})();
