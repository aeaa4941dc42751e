/* The large-text toggle in the header: shows the button (hidden without JavaScript), keeps aria-pressed in step
 * with the <html class="large-text"> that reading-mode-init.js set, and remembers the reader's choice. */
(function () {
  var KEY = "newsroom_large_text";
  var YEAR = 60 * 60 * 24 * 365;
  var root = document.documentElement;

  function remember(on) {
    try {
      if (on) {
        window.localStorage.setItem(KEY, "1");
      } else {
        window.localStorage.removeItem(KEY);
      }
    } catch (error) {
      /* storage blocked: the cookie still keeps the choice */
    }
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = KEY + "=" + (on ? "1; max-age=" + YEAR : "; max-age=0") + "; path=/; SameSite=Lax" + secure;
  }

  function show(buttons) {
    var pressed = root.classList.contains("large-text") ? "true" : "false";
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", pressed);
      buttons[i].hidden = false;
    }
  }

  function init() {
    var buttons = document.querySelectorAll("[data-reading-mode-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () {
        var on = !root.classList.contains("large-text");
        root.classList.toggle("large-text", on);
        remember(on);
        show(buttons);
      });
    }
    show(buttons);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
