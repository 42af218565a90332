// The obstacle worksheet's small client: per-item save states, refusals and conflicts shown in place, and
// saves that did not reach the server kept on screen and retried. Saving itself is htmx (see regions.html).
(function () {
  "use strict";
  if (window.phasewiseWorksheet) return; // included once per page, but be safe
  window.phasewiseWorksheet = true;

  var OFFLINE = "Not saved — check your connection; your text is still here. Retrying…";
  var SERVER = "Not saved — the server had a problem; your text is still here. Retrying…";
  var unsaved = new Set(); // ids of item forms whose last save did not get an answer

  function itemOf(elt) { return elt && elt.closest ? elt.closest("[data-ws-item]") : null; }

  function setStatus(form, state, text) {
    var status = form.querySelector(".ws-status");
    if (!status || status.classList.contains("conflict")) return; // the conflict choice stays until made
    status.className = "ws-status " + state;
    status.textContent = text;
  }

  // Picking a severity means the statement applies; ticking "doesn't apply" keeps the severity (nothing is
  // lost if it is unticked again) and greys it out. Runs before htmx reads the form (capture phase).
  document.addEventListener("change", function (event) {
    var form = itemOf(event.target);
    if (!form) return;
    var na = form.querySelector("input[name=not_applicable]");
    if (event.target.name === "severity" && na) na.checked = false;
    form.classList.toggle("is-na", !!(na && na.checked));
  }, true);

  // Typing after a save: say it is not saved yet, until the autosave answers.
  document.addEventListener("input", function (event) {
    var form = itemOf(event.target);
    if (form && event.target.tagName === "TEXTAREA") setStatus(form, "pending", "Not saved yet…");
  });

  // Refusals come back as 4xx with a message (bad input, unknown item, ended session) or the conflict choice;
  // htmx does not swap error responses unless told to. The inputs are never replaced, so nothing typed is lost.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig;
    var elt = config && config.elt ? config.elt : event.detail.elt;
    if (itemOf(elt) && [400, 403, 404, 409].indexOf(status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function failed(event, message) {
    var form = itemOf(event.detail.elt);
    if (!form) return;
    event.detail.phasewiseReported = true; // said here, not again page-wide (phasewise.js)
    unsaved.add(form.id);
    form.classList.add("ws-unsaved");
    setStatus(form, "error", message);
  }
  document.addEventListener("htmx:sendError", function (event) { failed(event, OFFLINE); });
  document.addEventListener("htmx:timeout", function (event) { failed(event, OFFLINE); });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500 || event.detail.xhr.status === 0) failed(event, SERVER);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = itemOf(event.detail.elt);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (form && status > 0 && status < 500) {
      unsaved.delete(form.id);
      form.classList.remove("ws-unsaved");
    }
  });

  // Retry what did not get through: when the browser is back online, when the live socket reconnects, and
  // every few seconds meanwhile. Each retry sends the whole item as it is now, with the version it last saw.
  function retry() {
    unsaved.forEach(function (id) {
      var form = document.getElementById(id);
      if (form) htmx.trigger(form, "change");
      else unsaved.delete(id);
    });
  }
  window.addEventListener("online", retry);
  document.addEventListener("htmx:wsOpen", retry);
  setInterval(function () { if (unsaved.size && navigator.onLine !== false) retry(); }, 5000);

  // The facilitator's heatmap views: a click shows the view at once; the request behind it only remembers the
  // choice (answered 204), so answers arriving out of order never bring back an older click.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-ws-view]");
    if (!button) return;
    var group = button.closest("#ws-view-switch");
    if (!group) return;
    group.dataset.view = button.dataset.wsView;
    group.querySelectorAll("[data-ws-view]").forEach(function (other) {
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
  });

  // Leaving the page with a save that did not get through: ask first.
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved.size) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
