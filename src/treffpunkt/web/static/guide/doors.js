/* The door list, made quicker on a phone (templates/guide/doors.html). Without this
   file everything still works: the search is a form (?q=), each row's attendance a
   form that posts and comes back to the row.

   - Search as you type: rows whose name, email or phone contain what is typed stay.
   - One tap for attendance: the row's form is sent with fetch (X-CSRFToken); the row
     shows "Saving…" until the answer, tries again by itself when the connection
     fails (a door often has poor reception), and says so if it still fails. */
(function () {
  "use strict";

  var list = document.getElementById("door-list");
  if (!list) {
    return;
  }

  // --- search as you type -------------------------------------------------------------

  function fold(text) {
    // As the server's fold(): no case, no accents.
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  var search = document.querySelector("[data-door-search]");
  var count = document.getElementById("door-count");
  var rows = Array.prototype.slice.call(list.querySelectorAll(".door-row"));

  function filter() {
    var wanted = fold(search.value.trim());
    var shown = 0;
    rows.forEach(function (row) {
      var match = !wanted || row.getAttribute("data-search").indexOf(wanted) !== -1;
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    if (count && count.getAttribute("data-template")) {
      count.textContent = count
        .getAttribute("data-template")
        .replace("{shown}", String(shown))
        .replace("{total}", String(rows.length));
    }
  }

  if (search) {
    search.addEventListener("input", filter);
    // The form still works (Enter); typing needs no submit.
    search.form.addEventListener("submit", function (event) {
      event.preventDefault();
      filter();
    });
  }

  // --- attendance by tap ------------------------------------------------------------

  var TIMEOUT_MS = 15000;
  var RETRY_DELAYS_MS = [1000, 3000];

  function label(name) {
    return list.getAttribute("data-" + name) || "";
  }

  function updateAttendedCount() {
    var counter = document.querySelector("[data-attended-count]");
    if (!counter) {
      return;
    }
    var seats = 0;
    rows.forEach(function (row) {
      if (row.getAttribute("data-attendance") === "attended") {
        seats += parseInt(row.getAttribute("data-seats"), 10) || 1;
      }
    });
    counter.textContent = String(seats);
  }

  function setBusy(form, busy) {
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = busy;
    });
  }

  function show(form, status) {
    var row = form.closest(".door-row");
    row.setAttribute("data-attendance", status);
    row.classList.remove("door-failed");
    form.querySelector("[data-mark]").textContent =
      status === "attended" ? label("attended") : label("no-show");
    form.querySelectorAll("button[name=status]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === status ? "true" : "false");
    });
    updateAttendedCount();
  }

  function fail(form, message) {
    form.closest(".door-row").classList.add("door-failed");
    form.querySelector("[data-mark]").textContent = message;
    setBusy(form, false);
  }

  function send(form, status, attempt) {
    var body = new FormData(form);
    body.set("status", status);
    // The page's CSRF token (the layout's <meta>; the form carries the same one).
    var meta = document.querySelector("meta[name=csrf-token]");
    var field = form.querySelector("input[name=_csrf_token]");
    var token = meta ? meta.getAttribute("content") : field ? field.value : "";
    var controller = new AbortController();
    var timer = setTimeout(function () {
      controller.abort();
    }, TIMEOUT_MS);
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
      signal: controller.signal,
    })
      .then(function (response) {
        clearTimeout(timer);
        if (response.ok) {
          return response.json().then(function (answer) {
            show(form, answer.status);
            setBusy(form, false);
          });
        }
        if (response.status >= 500) {
          throw new Error("server " + response.status);
        }
        // Refused (a CSRF token gone stale, a registration cancelled meanwhile …):
        // trying again will not help, the page must be loaded anew.
        fail(form, label("refused"));
        return null;
      })
      .catch(function () {
        clearTimeout(timer);
        if (attempt < RETRY_DELAYS_MS.length) {
          setTimeout(function () {
            send(form, status, attempt + 1);
          }, RETRY_DELAYS_MS[attempt]);
        } else {
          fail(form, label("failed"));
        }
      });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("door-attendance") || !window.fetch) {
      return;
    }
    event.preventDefault();
    var button = event.submitter;
    var status = button && button.value ? button.value : "attended";
    setBusy(form, true);
    form.querySelector("[data-mark]").textContent = label("saving");
    send(form, status, 0);
  });

  if (search && search.value) {
    filter();
  }
})();
