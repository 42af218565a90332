// Loaded first, without defer: until htmx has taken over the page (a slow phone, a busy network, a busy
// server), the browser itself would submit a form that htmx sends: a GET of the page with the text in its
// address, and the text gone from the box. Such a submit is held here instead, and sent through htmx as
// soon as htmx is ready, so a note tapped in early is posted, not lost. A tap on a control that is not a
// submit (a vote button) is held and replayed the same way.
(function () {
  "use strict";
  var HTMX = "[hx-post], [hx-get], [hx-put], [hx-patch], [hx-delete]";
  var ready = false; // htmx has processed the page: from then on its own handlers take every submit
  var held = [];
  document.addEventListener("submit", function (event) {
    if (ready) return;
    var form = event.target;
    var submitter = event.submitter;
    var viaHtmx = (form.matches && form.matches(HTMX)) || (submitter && submitter.matches && submitter.matches(HTMX));
    if (!viaHtmx) return;
    event.preventDefault();
    if (!held.some(function (entry) { return entry.form === form; })) held.push({ form: form, submitter: submitter || null });
  }, true);
  // A control that is not a submit (a vote button, type="button" with hx-post) does nothing at all until htmx
  // has processed it: its tap is held too, and replayed on the control, or on the one that replaced it.
  var tapped = [];
  var SIGNATURE = ["hx-post", "hx-get", "hx-put", "hx-patch", "hx-delete", "name", "value", "id"];
  function signature(el) {
    return SIGNATURE.map(function (name) { return el.getAttribute(name) || ""; }).join("\n");
  }
  document.addEventListener("click", function (event) {
    if (ready || !event.target.closest) return;
    var control = event.target.closest(HTMX);
    // Buttons and links only: a checkbox or a field keeps its own default (htmx sends it on change anyway).
    if (!control || !control.matches("button, a, [role=button]")) return;
    if (control.form && control.type === "submit") return; // the form's submit is held above
    event.preventDefault();
    tapped.push({ control: control, signature: signature(control) });
  }, true);
  function replayTap(entry) {
    var control = entry.control;
    if (!control.isConnected) {
      control = Array.prototype.find.call(document.querySelectorAll(HTMX), function (el) {
        return signature(el) === entry.signature;
      });
    }
    if (control) control.click();
  }
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) return;
    ready = true;
    var waiting = held;
    held = [];
    var taps = tapped;
    tapped = [];
    setTimeout(function () { taps.forEach(replayTap); }, 0);
    // After htmx's own handlers for this event (it processes the page before it says so).
    setTimeout(function () {
      waiting.forEach(function (entry) {
        if (!entry.form.isConnected) return;
        if (entry.submitter && entry.submitter.isConnected) entry.form.requestSubmit(entry.submitter);
        else entry.form.requestSubmit();
      });
    }, 0);
  });
})();
