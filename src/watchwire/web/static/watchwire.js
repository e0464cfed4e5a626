// watchwire's dashboard works without this file; with it, a page marked data-refresh keeps
// itself current, and single keys move between pages. No HTML is ever built from strings
// here: a refresh takes the server's own (escaped) page and swaps its <main> in.
"use strict";

(function () {
  var body = document.body;

  // --- live refresh --------------------------------------------------------------------------
  var every = parseInt(body.getAttribute("data-refresh") || "0", 10);
  function busy() {
    var active = document.activeElement;
    return document.hidden || (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName));
  }
  function refresh() {
    if (busy()) return;
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null || busy()) return;
        var page = new DOMParser().parseFromString(text, "text/html");
        var fresh = page.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          main.replaceChildren.apply(main, Array.prototype.map.call(
            fresh.childNodes, function (node) { return document.importNode(node, true); }));
          body.setAttribute("data-refreshed", new Date().toISOString());
        }
      })
      .catch(function () { /* the service is restarting: the next tick tries again */ });
  }
  if (every > 0) {
    window.setInterval(refresh, every * 1000);
  }

  // --- keyboard ------------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    if (event.key === "/") {
      var box = document.querySelector("input[type=search]");
      event.preventDefault();
      if (box) { box.focus(); } else { window.location.assign("/search"); }
      return;
    }
    var links = document.querySelectorAll("nav a[data-shortcut]");
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("data-shortcut") === event.key) {
        window.location.assign(links[i].getAttribute("href"));
        return;
      }
    }
  });
})();
