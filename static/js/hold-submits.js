// Loaded first, without defer: until htmx has taken over the page (a slow phone, a busy network, a busy
// server), the browser itself would submit a form that htmx sends: a GET of the page with the text in its
// address, and the text gone from the box. Such a submit is held here instead, and sent through htmx as
// soon as htmx is ready, so a note tapped in early is posted, not lost.
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
  document.addEventListener("htmx:load", function (event) {
    if (event.target !== document.body) return;
    ready = true;
    var waiting = held;
    held = [];
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
