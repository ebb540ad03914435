// The series form of /guide/events/{id}/dates: the preview of its dates follows the
// form as the guide types (the page's "Show dates" button does the same without
// JavaScript), and only the fields of the chosen pattern show.
(function () {
  "use strict";
  var form = document.querySelector("form.series-form");
  var target = document.getElementById("series-preview");
  if (!form || !target || !window.fetch) {
    return;
  }
  var url = target.getAttribute("data-preview-url");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var timer = null;
  var asked = 0;

  function showPattern() {
    var chosen = form.querySelector('input[name="pattern"]:checked');
    ["weekly", "monthly", "custom"].forEach(function (name) {
      var part = form.querySelector(".pattern-" + name);
      if (part) {
        part.hidden = !chosen || chosen.value !== name;
      }
    });
  }

  function update() {
    var number = ++asked;
    var body = new FormData(form);
    body.delete("action");
    target.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
    })
      .then(function (answer) {
        return answer.ok || answer.status === 422 ? answer.text() : null;
      })
      .then(function (html) {
        if (html !== null && number === asked) {
          target.innerHTML = html;
        }
      })
      .catch(function () {})
      .then(function () {
        if (number === asked) {
          target.removeAttribute("aria-busy");
        }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 350);
  }

  target.setAttribute("aria-live", "polite");
  form.addEventListener("input", later);
  form.addEventListener("change", function () {
    showPattern();
    later();
  });
  showPattern();
  // A saved series is complete: its dates show at once. A new one's form is not complete
  // yet (no end chosen): no error before the guide has touched it, only the hint.
  if (target.hasAttribute("data-preview-now")) {
    update();
  }
})();
