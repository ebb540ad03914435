// The event editor (templates/guide/event_form.html): the fields of a new venue show
// only while "A new venue" is chosen. Without this script they are always there, and
// the server reads them only for that choice.
(function () {
  "use strict";
  var choice = document.getElementById("field-venue_id");
  var fields = document.querySelector(".event-form .new-venue");
  if (!choice || !fields) {
    return;
  }
  function follow() {
    fields.hidden = choice.value !== "new";
  }
  choice.addEventListener("change", follow);
  follow();
})();
