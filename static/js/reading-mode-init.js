/* Large-text reading mode (大字模式), applied before first paint: loaded without defer in <head>.
 * The choice is kept in localStorage and in the cookie newsroom_large_text=1 (readable by the server).
 * reading-mode.js wires the toggle button. No inline script anywhere: the site moves to a strict CSP. */
(function () {
  var root = document.documentElement;
  var on = false;
  try {
    on = window.localStorage.getItem("newsroom_large_text") === "1";
  } catch (error) {
    /* storage blocked (private mode, settings): fall back to the cookie */
  }
  if (!on) {
    on = /(?:^|;\s*)newsroom_large_text=1(?:;|$)/.test(document.cookie);
  }
  root.classList.add("js");
  if (on) {
    root.classList.add("large-text");
  }
})();
