// The dashboard's tool tabs (templates/facilitation/dashboard.html): one tool's panel at a time, the current
// phase's tool first. The tabs follow the ARIA tabs pattern: arrow keys, Home and End move between them (and
// open the tab moved to), Tab goes on into the open panel. When a new phase starts (a push of the clock with
// another phase index), the tab of that phase's tool opens; between phase changes the facilitator's own choice
// stays, whatever is pushed, and across a reload in the same phase. A press on an attention item ("2 help requests waiting") opens its tool's tab.
// The panels stay in the page while hidden, so pushes keep them current.
(function () {
  "use strict";

  // The facilitator's pick survives a reload within the same phase (kept per tab of the browser).
  var KEY = "phasewise:tab:" + location.pathname;
  function remember(key) {
    var now = phaseTool();
    try { sessionStorage.setItem(KEY, JSON.stringify({ phase: now && now.index, tab: key })); } catch (error) { /* private mode */ }
  }
  function remembered() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (error) { return null; }
  }

  function tabs() { return Array.prototype.slice.call(document.querySelectorAll("[data-tool-tab]")); }

  function open(key, focus) {
    var found = false;
    tabs().forEach(function (tab) {
      var on = tab.dataset.toolTab === key;
      found = found || on;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    if (!found) return false;
    document.querySelectorAll("[data-tool-panel]").forEach(function (panel) {
      panel.hidden = panel.dataset.toolPanel !== key;
    });
    return true;
  }

  function phaseTool() {
    var clock = document.getElementById("clock");
    return clock ? { index: clock.dataset.phaseIndex, tool: clock.dataset.tool } : null;
  }

  // The first tab (in screen order) that claims the phase's tool; every tab that claims it is marked "now".
  function markPhase(tool) {
    var first = null;
    tabs().forEach(function (tab) {
      var claims = (tab.dataset.phaseTools || "").split(" ").indexOf(tool) !== -1;
      var now = tab.querySelector(".tab-now");
      if (now) now.textContent = claims ? " now" : "";
      if (claims && first === null) first = tab.dataset.toolTab;
    });
    return first;
  }

  var shownPhase = null;
  function followPhase() {
    var now = phaseTool();
    if (!now) return;
    var first = markPhase(now.tool);
    if (now.index === shownPhase) return;
    var starting = shownPhase !== null;
    shownPhase = now.index;
    if (!starting) {
      // On load the server has opened the phase's tab; the facilitator's own pick in this phase wins.
      var kept = remembered();
      if (kept && kept.phase === now.index) open(kept.tab, false);
      return;
    }
    if (first) open(first, false); // a new phase opens its own tab (if any tool claims it)
  }

  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[data-tool-tab]");
    if (tab) { open(tab.dataset.toolTab, true); remember(tab.dataset.toolTab); return; }
    var item = event.target.closest && event.target.closest("[data-open-tab]");
    if (item && open(item.dataset.openTab, false)) {
      remember(item.dataset.openTab);
      var target = item.getAttribute("href");
      var place = target && target.charAt(0) === "#" ? document.querySelector(target) : null;
      if (place) {
        event.preventDefault();
        if (!place.hasAttribute("tabindex")) place.setAttribute("tabindex", "-1");
        place.scrollIntoView({ block: "start" });
        place.focus({ preventScroll: true });
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[data-tool-tab]");
    if (!tab) return;
    var all = tabs();
    var at = all.indexOf(tab);
    var to = null;
    if (event.key === "ArrowRight") to = all[(at + 1) % all.length];
    else if (event.key === "ArrowLeft") to = all[(at - 1 + all.length) % all.length];
    else if (event.key === "Home") to = all[0];
    else if (event.key === "End") to = all[all.length - 1];
    if (!to) return;
    event.preventDefault();
    open(to.dataset.toolTab, true);
    remember(to.dataset.toolTab);
  });

  document.addEventListener("DOMContentLoaded", followPhase);
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "clock") followPhase();
  });
  // A swap of the clock replaces the element: read it again once the whole message is in.
  document.addEventListener("htmx:wsAfterMessage", followPhase);
  document.addEventListener("htmx:afterSettle", followPhase);
})();
