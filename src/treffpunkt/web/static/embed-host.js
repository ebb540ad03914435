/* For a town's own website that embeds treffpunkt's list (docs/web.md has the snippet):
   sets the height of each iframe showing a treffpunkt page to the height that page
   reports (embed-frame.js), so the list needs no scrollbar of its own. Only messages
   from the treffpunkt site this script came from are believed. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src, window.location.href).origin;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || data.treffpunkt !== "height") {
      return;
    }
    if (typeof data.height !== "number" || !isFinite(data.height)) {
      return;
    }
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(Math.max(Math.round(data.height), 50), 50000) + "px";
      }
    }
  });
})();
