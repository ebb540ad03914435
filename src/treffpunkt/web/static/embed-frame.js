/* Loaded by the embedded list (/m/{slug}/embed): tells the page that embeds it how tall
   the list is, so that its iframe grows with it (embed-host.js, on that page, listens).
   A height is no secret, so any embedding origin may hear it. No other script runs on
   treffpunkt's pages; every page works without it. */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ treffpunkt: "height", height: height }, "*");
    }
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(report).observe(document.documentElement);
  }
  window.addEventListener("load", report);
  report();
})();
