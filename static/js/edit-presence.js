/* Tells an editor who else has this article's edit form open, and tells the others about them.
   The page carries <div id="edit-presence" data-url="..." data-expired-message="..."> (rendered with the current
   list by the server); this script refreshes it every 30 seconds, and when the page comes back into view, with a
   POST that also marks this user as still here. The POST says whether the user typed or clicked since the last
   one: only then does it keep the login alive (articles.middleware.SessionActivityMiddleware).
   When the login has ended (the POST is sent to the login page), the box says so at once, and how to keep the
   typing: log in again in another tab, then save here. For that save, every form of the page sends the security
   token of the new login (Django's csrftoken cookie) rather than the one the page was rendered with.
   Leaving the page tells the server at once (a beacon on "pagehide"). */
(function () {
  "use strict";

  var INTERVAL = 30000;
  var active = false;
  var expired = false;

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (input ? input.value : "");
  }

  // Who the notices are about, without the time each ends with ("……（05:03 仍在线）。"), which changes as time goes.
  function who(texts) {
    return texts.map(function (text) { return text.replace(/[（(][^（()）]*[)）][。.]?\s*$/, ""); }).join("\n");
  }

  // The list above is no live region: a screen reader would read it out again every 30 seconds while the user
  // types. The announcement below changes only when someone opens or leaves the story.
  function announce(box, texts) {
    var region = document.getElementById("edit-presence-announcement");
    var people = who(texts);
    if (region && people !== box.dataset.announced) {
      // The last colleague gone: said too, or the status line would fall silent.
      region.textContent = texts.length ? texts.join(" ") : (box.dataset.announced ? box.dataset.aloneMessage : "");
    }
    box.dataset.announced = people;
  }

  function show(box, texts, alert) {
    if (!alert) {
      announce(box, texts);
    }
    var list = box.querySelector("ul");
    list.textContent = "";
    texts.forEach(function (text) {
      var item = document.createElement("li");
      item.className = alert ? "error" : "warning";
      item.textContent = text;
      list.appendChild(item);
    });
    if (alert) {
      box.setAttribute("role", "alert");
    }
    box.hidden = texts.length === 0;
  }

  function beat(box) {
    if (expired) {
      return;
    }
    var body = new URLSearchParams({ active: active ? "1" : "0" });
    active = false;
    fetch(box.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (response.redirected && !json) {  // sent to the login page: the login has ended
        expired = true;
        show(box, [box.dataset.expiredMessage], true);
        return null;
      }
      return response.ok && json ? response.json() : null;
    }).then(function (data) {
      if (data) {
        box.dataset.seen = data.seen || box.dataset.seen;
        show(box, data.others.map(function (other) { return other.text; }), false);
      }
    }).catch(function () { /* offline for a moment: try again at the next beat */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("edit-presence");
    if (!box || !box.dataset.url) {
      return;
    }
    // Those already there when the page opened are on the page as it loads: no need to announce them again.
    box.dataset.announced = who(Array.prototype.map.call(box.querySelectorAll("li"), function (item) {
      return item.textContent;
    }));
    ["keydown", "input", "pointerdown"].forEach(function (type) {
      document.addEventListener(type, function () { active = true; }, true);
    });
    window.setInterval(function () { beat(box); }, INTERVAL);
    // Back from lunch: say at once whether the login is still there.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        beat(box);
      }
    });
    window.addEventListener("focus", function () { beat(box); });
    // Leaving the page (closed, or another page opened in the tab): the others stop seeing this user at once,
    // not two minutes later. The server forgets only this page's mark ("seen"): a save opens the story again on a
    // new page, which marked the user later.
    window.addEventListener("pagehide", function () {
      if (expired || !box.dataset.seen || !navigator.sendBeacon) {
        return;
      }
      var body = new FormData();
      body.append("left", "1");
      body.append("seen", box.dataset.seen);
      body.append("csrfmiddlewaretoken", csrfToken());
      navigator.sendBeacon(box.dataset.url, body);
    });
    // Logged in again in another tab: the forms of this page send that login's token.
    document.addEventListener("submit", function (event) {
      var token = cookie("csrftoken");
      if (token) {
        event.target.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) {
          input.value = token;
        });
      }
    }, true);
  });
})();
