/* The header's section menu on a phone: a sideways-scrolling list whose last 2.5rem fade out (site.css). A link
 * reached with the keyboard is scrolled clear of the fade, so that it and its focus ring are seen; browsers do
 * not scroll an item that is partly in view. */
(function () {
  var FADE = 40; // px: the faded end of the list (2.5rem)

  document.addEventListener("focusin", function (event) {
    var list = event.target.closest ? event.target.closest(".site-nav-list") : null;
    if (!list || list.scrollWidth <= list.clientWidth) {
      return;
    }
    var shown = list.getBoundingClientRect();
    var item = event.target.getBoundingClientRect();
    if (item.right > shown.right - FADE) {
      list.scrollLeft += item.right - (shown.right - FADE);
    } else if (item.left < shown.left) {
      list.scrollLeft -= shown.left - item.left;
    }
  });
})();

/* A table in a story is a named region that takes the focus so that arrow keys scroll it sideways on a phone
 * (articles/services.py, scrollable_tables). One that fits its column does not scroll: it is then neither a region
 * nor a stop of the Tab key, until the window narrows again. */
(function () {
  function fit() {
    document.querySelectorAll("figure.table[aria-label]").forEach(function (figure) {
      if (figure.scrollWidth > figure.clientWidth + 1) {
        figure.setAttribute("tabindex", "0");
        figure.setAttribute("role", "region");
      } else {
        figure.removeAttribute("tabindex");
        figure.removeAttribute("role");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", fit);
  window.addEventListener("resize", fit);
})();
