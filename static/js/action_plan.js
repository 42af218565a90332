// The Evaluate phase's small client: character counts and an "editing" state for action-plan fields, refusals
// and conflicts shown in place, and "Use the saved text" after a conflict. Saving is htmx (autosave per field).
(function () {
  "use strict";
  if (window.phasewiseEvaluate) return; // may be included more than once on a page
  window.phasewiseEvaluate = true;

  function stateOf(textarea) {
    return document.getElementById("plan-state-" + textarea.name);
  }

  // A refused submit comes back with an error summary at the top of the form: focus goes there, so the person
  // (and a screen reader) hears what to fix instead of being left on the page body. Its links go to each field:
  // focus in the box, its label on screen.
  document.addEventListener("htmx:afterSettle", function (event) {
    var summary = document.getElementById("plan-errors");
    var config = event.detail.requestConfig;
    if (!summary || !config || !config.elt || !config.elt.matches || !config.elt.matches("[data-plan-form]")) return;
    summary.focus();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + CSS.escape(field.id) + "']");
    (label || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("[data-plan-text]")) return;
    var state = stateOf(textarea);
    if (!state) return;
    var count = state.querySelector("[data-plan-count]");
    if (count) count.textContent = textarea.value.length + " / " + textarea.maxLength;
    if (state.dataset.state !== "conflict") {
      state.dataset.state = "editing";
      var text = state.querySelector(".plan-state-text");
      if (text) text.textContent = "Editing… saves in a moment";
    }
  });

  // Safety net: a field still "editing" well after the last keystroke lost its delayed save (the field was
  // replaced by a pushed copy while the timer ran). Send it now, so typed text is never left unsaved.
  var lastInput = {};
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-plan-text]")) lastInput[event.target.name] = Date.now();
  }, true);
  setInterval(function () {
    document.querySelectorAll('.plan-state[data-state="editing"]').forEach(function (state) {
      var key = state.id.replace("plan-state-", "");
      var textarea = document.getElementById("plan-" + key);
      if (!textarea || Date.now() - (lastInput[key] || 0) < 2500) return;
      lastInput[key] = Date.now();
      // Not "input": htmx's "changed" filter already saw this value when the lost timer started.
      htmx.trigger(textarea, "plan-save");
    });
  }, 1000);

  // Refusals (too long, locked) and conflicts come back as 400/409 with the field's state or the plan to show:
  // the plan's regions carry data-swap-errors="400 409" (phasewise.js).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches || !elt.matches("[data-plan-text]")) return;
    var state = stateOf(elt);
    if (state && state.dataset.state !== "conflict") {
      state.dataset.state = "saving";
      var text = state.querySelector(".plan-state-text");
      if (text) text.textContent = "Saving…";
    }
  });
  // A field saved after a refused submit: its old "required" message no longer applies.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches || !elt.matches("[data-plan-text]") || event.detail.xhr.status !== 200) return;
    var error = document.getElementById("plan-error-" + elt.name);
    if (error) error.remove();
    elt.removeAttribute("aria-invalid");
    elt.closest(".plan-field").classList.remove("has-error");
  });

  // A save that did not get through is kept and sent again by phasewise.js (data-autosave="plan-save" on each
  // field); the field's state says so until a save is answered.
  var OFFLINE = "Not saved: no connection. Your text stays here and is sent again when the connection is back.";
  var SERVER = "Not saved: the server had a problem. Your text stays here; trying again…";
  document.addEventListener("phasewise:unsaved", function (event) {
    var elt = event.target;
    if (!elt.matches || !elt.matches("[data-plan-text]")) return;
    var state = stateOf(elt);
    if (!state || state.dataset.state === "conflict") return;
    state.dataset.state = "error";
    state.querySelector(".plan-state-text").textContent = event.detail.reason === "offline" ? OFFLINE : SERVER;
  });

  // After a conflict: take the text saved elsewhere into the box, at its version (nothing is sent).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-plan-use-saved]");
    if (!button) return;
    var key = button.dataset.planUseSaved;
    var state = document.getElementById("plan-state-" + key);
    var textarea = document.getElementById("plan-" + key);
    var raw = state && state.querySelector("template[data-saved-raw]");
    if (!textarea || !raw) return;
    textarea.value = raw.content.textContent;
    state.querySelector("[data-plan-version]").value = button.dataset.version;
    state.dataset.state = "saved";
    state.querySelector(".plan-state-text").textContent = "Using the saved text";
    var conflict = state.querySelector(".plan-conflict");
    if (conflict) conflict.remove();
    textarea.closest(".plan-field").classList.remove("has-conflict");
    textarea.focus();
  });

  // Leaving with a field still editing or refused would lose text: ask first (phasewise.js asks for one not
  // sent yet).
  window.addEventListener("beforeunload", function (event) {
    var pending = document.querySelector('.plan-state[data-state="editing"], .plan-state[data-state="saving"], .plan-state[data-state="conflict"]');
    if (pending) { event.preventDefault(); event.returnValue = ""; }
  });
})();
