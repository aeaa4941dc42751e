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
