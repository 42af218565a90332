// Phasewise's small client: countdowns rendered from server timestamps, and a resync of live regions
// whenever the websocket (re)connects. Everything else is htmx.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function fmt(seconds) {
    var s = Math.abs(Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + pad(m) : m) + ":" + pad(r);
  }
  // Each [data-countdown] carries the server's "now" and either a deadline (running) or a frozen remainder
  // (paused). The offset between server and browser clocks is measured once per render, so a wrong laptop
  // clock does not move the countdown.
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (!el.dataset.offset) {
        el.dataset.offset = String(Number(el.dataset.serverNow) * 1000 - Date.now());
      }
      var remaining;
      if (el.dataset.running === "true") {
        remaining = Number(el.dataset.deadline) - (Date.now() + Number(el.dataset.offset)) / 1000;
      } else {
        remaining = Number(el.dataset.remaining);
      }
      var warnAt = Number(el.dataset.warnAt || 120);
      var state = remaining < 0 ? "over" : remaining <= warnAt ? "soon" : "ok";
      var value = el.querySelector(".countdown-value");
      var label = el.querySelector(".countdown-state");
      if (value) value.textContent = (remaining < 0 ? "+" : "") + fmt(remaining);
      if (label) {
        var paused = el.dataset.running !== "true" && el.dataset.started === "true";
        label.textContent = el.dataset.ended === "true" ? "Session ended"
          : el.dataset.started !== "true" ? "Not started"
          : paused ? "Paused"
          : state === "over" ? "Over time by " + fmt(remaining)
          : state === "soon" ? "Ending soon" : "On time";
      }
      el.dataset.state = state;
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  document.addEventListener("htmx:oobAfterSwap", tick);

  // On every websocket (re)connect, ask each live region to refetch itself: a channel layer delivers at
  // most once, so what was pushed before the socket subscribed (between the page render and the first
  // connect, or while it was down) would otherwise be missed.
  document.addEventListener("htmx:wsOpen", function () {
    document.body.classList.remove("ws-offline");
    document.querySelectorAll("[data-resync]").forEach(function (el) { htmx.trigger(el, "resync"); });
  });
  document.addEventListener("htmx:wsClose", function () { document.body.classList.add("ws-offline"); });

  // A resync answer describes the moment its request was sent. If a push arrived meanwhile, the answer may be
  // older than what the push just showed: drop it and ask again.
  var lastPush = 0;
  document.addEventListener("htmx:wsAfterMessage", function () { lastPush = Date.now(); });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-resync")) event.detail.elt.dataset.sentAt = String(Date.now());
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    if (!elt.hasAttribute("data-resync")) return;
    if (Number(elt.dataset.sentAt || 0) <= lastPush) {
      event.detail.shouldSwap = false;
      setTimeout(function () { htmx.trigger(elt, "resync"); }, 150);
    }
  });

  // When a pushed region shows another phase, tell the tool regions (they refetch on "phasewise:phase").
  var lastPhase = null;
  function checkPhase() {
    var el = document.querySelector("[data-phase-index]");
    if (!el) return;
    var now = el.dataset.phaseIndex + "/" + el.dataset.phaseState;
    if (lastPhase !== null && lastPhase !== now) htmx.trigger(document.body, "phasewise:phase");
    lastPhase = now;
  }
  document.addEventListener("DOMContentLoaded", checkPhase);
  document.addEventListener("htmx:oobAfterSwap", checkPhase);
  document.addEventListener("htmx:afterSettle", checkPhase);

  // Refusals (bad input, too fast, a conflict) come back as 400/409/429 with a message to show where the
  // person acted; htmx does not swap error responses unless told to. Regions opt in with data-swap-errors.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig;
    var elt = config && config.elt ? config.elt : event.detail.elt;
    if ((status === 400 || status === 409 || status === 429) && elt && elt.closest &&
        elt.closest("[data-swap-errors], [data-wall]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Confirm prompts and confirm prompts without inline script (CSP).
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
})();
