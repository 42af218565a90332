// The obstacle worksheet's small client: per-item save states, refusals and conflicts shown in place, and
// saves that did not reach the server kept on screen and retried. Saving itself is htmx (see regions.html).
(function () {
  "use strict";
  if (window.phasewiseWorksheet) return; // included once per page, but be safe
  window.phasewiseWorksheet = true;

  var OFFLINE = "Not saved — check your connection; your text is still here. Retrying…";
  var SERVER = "Not saved — the server had a problem; your text is still here. Retrying…";

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

  // Refusals come back as 4xx with a message (bad input, unknown item, ended session) or the conflict choice,
  // shown in place (data-swap-errors="400 403 404 409" on each item; the inputs are never replaced, so nothing
  // typed is lost). A save that did not get through is kept and sent again by phasewise.js (data-autosave),
  // the whole item as it is now with the version it last saw; the item says so until a save is answered.
  document.addEventListener("phasewise:unsaved", function (event) {
    var form = itemOf(event.target);
    if (!form || form !== event.target) return;
    form.classList.add("ws-unsaved");
    setStatus(form, "error", event.detail.reason === "offline" ? OFFLINE : SERVER);
  });
  document.addEventListener("phasewise:answered", function (event) {
    var form = itemOf(event.target);
    if (form && form === event.target) form.classList.remove("ws-unsaved");
  });

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
})();
