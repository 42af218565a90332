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
  // The countdown in words for screen readers, as the server's duration_words filter says it.
  function words(seconds) {
    var s = Math.abs(Math.round(seconds)), m = Math.floor(s / 60), r = s % 60, parts = [];
    if (m) parts.push(m + " minute" + (m === 1 ? "" : "s"));
    if (r || !m) parts.push(r + " second" + (r === 1 ? "" : "s"));
    return parts.join(" ");
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
      var spoken = el.querySelector(".countdown-words");
      if (spoken) spoken.textContent = words(remaining) + (remaining < 0 ? " over" : " left") + " in this phase";
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

  // On every websocket (re)connect, the page says over the socket, per topic, the oldest version of the live
  // regions it holds; the server answers on the socket with the regions newer than that, or nothing
  // (facilitation/live/resync.py). A channel layer delivers at most once: what was pushed before the socket
  // subscribed (between the page render and the first connect, or while it was down) comes back this way.
  function heldVersions() {
    var held = {};
    document.querySelectorAll("[data-topic][data-version]").forEach(function (el) {
      var topic = el.dataset.topic, version = Number(el.dataset.version);
      if (!(topic in held) || version < held[topic]) held[topic] = version;
    });
    return held;
  }
  function sendResync(wrapper, held) {
    try { wrapper.sendImmediately(JSON.stringify({ resync: held })); } catch (e) { /* closing: it reopens */ }
  }
  document.addEventListener("htmx:wsOpen", function (event) {
    setConnection("live");
    sendResync(event.detail.socketWrapper, heldVersions());
  });
  // For tests and support: `phasewise.resync()` asks again now; `phasewise.resync(true)` asks for every
  // region, as a page that holds none would.
  window.phasewise = {
    resync: function (everything) {
      var held = heldVersions();
      if (everything) Object.keys(held).forEach(function (topic) { held[topic] = 0; });
      socketWrappers().forEach(function (wrapper) {
        if (wrapper.socket.readyState === WebSocket.OPEN) sendResync(wrapper.publicInterface || wrapper, held);
      });
    },
  };
  document.addEventListener("htmx:wsClose", function () { setConnection("reconnecting"); });

  // The connection badge ("Live") says what is true: live only while the socket is open and the server has
  // been heard from lately. A socket can look open long after the network went (a phone on another Wi-Fi, a
  // lid closed): TCP notices minutes later. So the page sends "ping" every HEARTBEAT ms and the server answers
  // "pong" (facilitation/consumers.py); with nothing heard for SILENCE ms, the badge says "Reconnecting…" and a
  // new socket is opened. The browser's own "offline" event says "Offline" at once.
  var HEARTBEAT = 10000;
  var SILENCE = 25000;
  var CONNECTION_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };
  var lastHeard = Date.now();
  function setConnection(state) {
    if (state === "reconnecting" && navigator.onLine === false) state = "offline";
    document.body.dataset.connection = state;
    document.body.classList.toggle("ws-offline", state === "reconnecting" || state === "offline");
    document.querySelectorAll(".connection-text").forEach(function (el) {
      if (el.textContent !== CONNECTION_TEXT[state]) el.textContent = CONNECTION_TEXT[state];
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.body.dataset.connection && document.querySelector("[ws-connect]")) setConnection("connecting");
  });
  document.addEventListener("htmx:wsOpen", function () { lastHeard = Date.now(); });
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    lastHeard = Date.now();
    if (document.body.dataset.connection !== "live") setConnection("live");
    if (event.detail.message === "pong") event.preventDefault(); // not a push: nothing to swap
  });
  window.addEventListener("offline", function () { setConnection("offline"); });
  function openSockets() {
    return socketWrappers().filter(function (wrapper) { return wrapper.socket.readyState === WebSocket.OPEN; });
  }
  setInterval(function () { ping(); }, HEARTBEAT);
  function ping() {
    openSockets().forEach(function (wrapper) {
      try { wrapper.socket.send("ping"); } catch (e) { /* closing: its close event says so */ }
    });
  }
  setInterval(function () {
    // A page in the background has its timers slowed by the browser: its pings go out late, so silence says
    // nothing there. Coming back, it pings at once and gets a fresh SILENCE to hear the answer (after a long
    // while away, the visibilitychange handler below opens a new socket anyway).
    if (document.visibilityState === "hidden") return;
    if (!openSockets().length || Date.now() - lastHeard <= SILENCE) return;
    setConnection("reconnecting");
    lastHeard = Date.now(); // the new socket gets its own SILENCE to answer
    reconnect();
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    lastHeard = Date.now();
    ping();
  });

  // After a network change (another Wi-Fi, a phone waking up) the old socket can look open while nothing
  // reaches it any more, until TCP gives up minutes later; and a socket that did close may be waiting out the
  // ws extension's backoff (up to a minute). So when the browser says it is online again, or the page is shown
  // again after a while in the background, open a new socket now; its htmx:wsOpen resyncs the page.
  // The extension keeps its socket wrapper in htmx's internal data on the [ws-connect] element.
  function socketWrappers() {
    return Array.prototype.map.call(document.querySelectorAll("[ws-connect]"), function (el) {
      var data = el["htmx-internal-data"];
      return data && data.webSocket;
    }).filter(function (wrapper) { return wrapper && wrapper.socket && typeof wrapper.init === "function"; });
  }
  function reconnect() {
    socketWrappers().forEach(function (wrapper) {
      var old = wrapper.socket;
      if (old.readyState === WebSocket.CONNECTING) return; // a new socket is on its way already
      if (!wrapper.phasewiseInit) {
        // A reconnect timer the extension set before this (after a close) would replace the new socket
        // again when it fires: it only ever needs to act on a closed one.
        wrapper.phasewiseInit = wrapper.init;
        wrapper.init = function () {
          if (this.socket && this.socket.readyState !== WebSocket.CLOSED) return;
          this.phasewiseInit();
        };
      }
      if (old.readyState !== WebSocket.CLOSED) {
        // Its close (now, or whenever the dead connection gives up) must not schedule another reconnect.
        old.onopen = old.onclose = old.onerror = null;
        old.close(1000, "reconnecting");
      }
      wrapper.retryCount = 0;
      wrapper.phasewiseInit();
    });
  }
  window.addEventListener("online", reconnect);

  // The server closes a socket with 4012 when its channel layer failed (Redis restarted: the socket's
  // subscriptions are gone): open a new one, as the extension does after 1012, within a random 0-2 s so that a
  // whole room does not come back in the same instant; its htmx:wsOpen resyncs the page. 4429: this person
  // opened more sockets than allowed and this page's was the oldest; it stays closed until the page is used
  // again (reload, or back after a while in the background).
  var CLOSE_SERVICE_RESTART = 4012, CLOSE_TOO_MANY_SOCKETS = 4429;
  document.addEventListener("htmx:wsClose", function (event) {
    var code = event.detail.event && event.detail.event.code;
    var elt = event.detail.elt;
    if (code === CLOSE_SERVICE_RESTART) {
      setTimeout(function () {
        var data = elt && elt["htmx-internal-data"];
        var wrapper = data && data.webSocket;
        if (wrapper && wrapper.socket && wrapper.socket.readyState === WebSocket.CLOSED) wrapper.init();
      }, Math.random() * 2000);
    } else if (code === CLOSE_TOO_MANY_SOCKETS) {
      setNetStatus("Live updates stopped on this page: it is open in too many tabs or devices. Reload it to use it here.");
    }
  });
  var hiddenSince = null;
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { hiddenSince = Date.now(); return; }
    if (hiddenSince !== null && Date.now() - hiddenSince > 30000) reconnect();
    hiddenSince = null;
  });

  // A control's answer (hx-swap="none") carries the regions it changed, out of band. The same change is also
  // pushed to every facilitator's screen, and the push often lands first: it replaces the region holding the
  // control, and htmx then looks for the answer's regions under the detached control, finds none and logs
  // htmx:oobErrorNoTarget for each (the answer is lost). htmx fires the control's events on the control itself,
  // out of the document's reach once it is detached, so listen there and swap the answer into the page.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var control = event.detail.elt;
    if (control.getAttribute("hx-swap") !== "none" || control.phasewiseReroots) return;
    control.phasewiseReroots = true;
    control.addEventListener("htmx:beforeSwap", function (swapEvent) {
      if (control.isConnected || !swapEvent.detail.shouldSwap) return;
      swapEvent.detail.shouldSwap = false;
      htmx.swap(document.body, swapEvent.detail.serverResponse, { swapStyle: "none", ignoreTitle: true });
    });
  });

  // When a pushed region shows another phase, say so ("phasewise:phase" on the body: a tool's message about
  // the phase before goes). The phase change itself pushes every region: nothing is fetched.
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

  // Screen readers announce a change inside a live region that was already on the page, not a region that
  // arrives new; a pushed region is swapped whole, so its own live text would go unsaid. A region says what
  // to announce in data-announce, and the page's one lasting #announcer (aria-live) says it when it changes.
  var announced = {};
  function announce() {
    var out = document.getElementById("announcer");
    if (!out) return;
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      var text = el.dataset.announce;
      if (el.id in announced && text && text !== announced[el.id]) out.textContent = text;
      announced[el.id] = text;
    });
  }
  document.addEventListener("DOMContentLoaded", announce);
  document.addEventListener("htmx:oobAfterSwap", announce);
  document.addEventListener("htmx:afterSettle", announce);

  // A pushed region replaces its nodes, so a keyboard user's focus on a control inside it (the clock's Pause,
  // a note's Vote) would fall back to the top of the page. Focus goes back to the same control in the new
  // region, found by its id or else its data-* attributes (a note's vote button: data-note-id); failing that,
  // to the region itself, so that the next Tab carries on from there.
  function focusKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    var key = el.tagName.toLowerCase();
    Array.prototype.forEach.call(el.attributes, function (attr) {
      if (attr.name.indexOf("data-") === 0) key += "[" + attr.name + '="' + CSS.escape(attr.value) + '"]';
    });
    return key === el.tagName.toLowerCase() ? null : key;
  }
  // The one rule for staleness (facilitation/live/versions.py): every live region carries the version of the
  // session it shows (data-version), and is replaced only by a copy that is not older — a push, the answer
  // to a request and a resync alike, whichever arrives first. An equal version is the same moment of the
  // session and may carry the person's own message ("Saved", a refusal), so it is shown. The rule holds for
  // the regions inside a region too: one that is newer than the copy arriving keeps its place. An addition
  // to a region (hx-swap-oob="beforeend": a new note) makes the region that version.
  function versionOf(el) {
    var value = el && el.getAttribute ? el.getAttribute("data-version") : null;
    return value === null || value === "" ? null : Number(value);
  }
  var ADDITION = /<[a-z]+\s[^>]*\bid="([^"]+)"[^>]*\bhx-swap-oob="(?:beforeend|afterbegin)[^"]*"[^>]*>/g;
  var additions = {}; // target id -> version of an addition in the socket message being swapped
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message;
    additions = {};
    if (typeof message !== "string" || message.indexOf("hx-swap-oob=\"before") === -1) return;
    var match;
    ADDITION.lastIndex = 0;
    while ((match = ADDITION.exec(message))) {
      var version = /\bdata-version="(\d+)"/.exec(match[0]);
      if (version) additions[match[1]] = Number(version[1]);
    }
  });
  var added = null;
  var keptNewer = null; // parts of the region newer than the copy replacing it: they stay
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    var incoming = fragment && (fragment.firstElementChild || fragment);
    added = keptNewer = null;
    if (target && target.id && target.id in additions) {
      // htmx hands over only what is added: the version came with the socket's message (below).
      added = { region: target.closest("[data-version]"), version: additions[target.id] };
      delete additions[target.id];
      return;
    }
    var now = versionOf(incoming);
    if (!target || now === null) return;
    var was = versionOf(target);
    if (was !== null && now < was) { event.detail.shouldSwap = false; return; }
    // A region inside this one may have been replaced since by a newer copy of its own (the answer to the
    // person's save): the older copy of it in what arrives must not turn it back.
    var newer = Array.prototype.filter.call(target.querySelectorAll("[data-version][id]"), function (el) {
      return versionOf(el) > now;
    });
    // When a push or a resync replaces the region, an element whose request is on its way (htmx marks it
    // .htmx-request) keeps its place too: its answer is swapped into it, and a copy put in its stead would
    // leave that answer nowhere on the page. (The answer itself, and what it brings out of band, replaces it.)
    var inFlight = !fromSocket ? [] : Array.prototype.filter.call(target.querySelectorAll(".htmx-request[id]"), function (el) {
      return newer.indexOf(el) === -1;
    });
    if (newer.length || inFlight.length) keptNewer = { region: target.id, parts: newer, inFlight: inFlight };
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var addition = added, kept = keptNewer;
    added = keptNewer = null;
    if (addition && addition.region && addition.region.isConnected && versionOf(addition.region) < addition.version) {
      addition.region.setAttribute("data-version", String(addition.version));
    }
    var region = kept && document.getElementById(kept.region);
    if (!region) return;
    kept.parts.forEach(function (old) {
      var copy = region.querySelector("#" + CSS.escape(old.id));
      if (copy && versionOf(copy) < versionOf(old)) copy.replaceWith(old);
    });
    kept.inFlight.forEach(function (old) {
      var copy = region.querySelector("#" + CSS.escape(old.id));
      if (copy && copy !== old) copy.replaceWith(old);
    });
  });
  var FIRST_TAG = /^\s*<[a-zA-Z][^>]*>/;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var was = versionOf(target);
    if (was === null || !event.detail.shouldSwap || typeof event.detail.serverResponse !== "string") return;
    var tag = FIRST_TAG.exec(event.detail.serverResponse);
    var found = tag && /\sdata-version="(\d+)"/.exec(tag[0]);
    if (found && Number(found[1]) < was) event.detail.shouldSwap = false;
  });
  var refocus = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    refocus = null;
    if (event.detail.shouldSwap && active && active !== document.body && target && target.id && target.contains(active)) {
      refocus = { key: focusKey(active), region: target.id };
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var wanted = refocus;
    refocus = null;
    if (!wanted || (document.activeElement && document.activeElement !== document.body)) return;
    var region = document.getElementById(wanted.region);
    if (!region) return;
    var control = wanted.key && (region.matches(wanted.key) ? region : region.querySelector(wanted.key));
    if (!control) {
      control = region;
      if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
    }
    control.focus({ preventScroll: true });
  });
  // What a person has typed, picked or ticked in a pushed region and not yet sent (a control whose state
  // differs from the one it was rendered with) goes over to the control's new copy, when that copy comes with
  // the same rendered state: a push or a resync about something else (a vote, another cluster, the socket
  // reopening) never wipes a half-typed name, a poll choice about to be sent or an unsent pick. A copy with a
  // different state is a change from the server, which wins (the tools whose fields several people edit merge
  // those themselves). What a form has sent is not carried over: the answer to that request updates the form.
  var KEEPABLE = "input:not([type]), input[type=text], input[type=search], input[type=number], input[type=url], " +
    "input[type=email], input[type=checkbox], input[type=radio], textarea, select";
  function checkable(el) { return el.type === "checkbox" || el.type === "radio"; }
  function stateOf(el) { return checkable(el) ? (el.checked ? "checked" : "") : el.value; }
  function renderedState(el) {
    if (checkable(el)) return el.defaultChecked ? "checked" : "";
    if (el.tagName !== "SELECT") return el.defaultValue;
    var option = el.querySelector("option[selected]") || el.options[0];
    return option ? option.value : "";
  }
  function setState(el, state) {
    if (checkable(el)) el.checked = state === "checked";
    else el.value = state;
  }
  function controlKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    var form = el.closest("form");
    var action = form && (form.getAttribute("hx-post") || form.getAttribute("action"));
    if (!el.name || !action) return null;
    var control = '[name="' + CSS.escape(el.name) + '"]' +
      (checkable(el) ? '[value="' + CSS.escape(el.value) + '"]' : "");
    return 'form[hx-post="' + CSS.escape(action) + '"] ' + control + ', form[action="' + CSS.escape(action) + '"] ' + control;
  }
  // What the server is known to hold for a control: what it was rendered with, or what this page last sent
  // in a request that was answered (2xx). A save that never got through (no network, the server down) leaves
  // it where it was, so its text still counts as unsent.
  function knownState(el) { return el.dataset.knownState !== undefined ? el.dataset.knownState : renderedState(el); }
  // Whether the swap under way comes from the socket (a push or a resync) rather than the answer to a request.
  var fromSocket = false;
  document.addEventListener("htmx:wsBeforeMessage", function (event) { fromSocket = event.detail.message !== "pong"; });
  document.addEventListener("htmx:wsAfterMessage", function () { fromSocket = false; });
  var unsent = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    unsent = null;
    if (!event.detail.shouldSwap || !target || !target.id || !target.querySelectorAll) return;
    var found = [];
    target.querySelectorAll(KEEPABLE).forEach(function (el) {
      var key = controlKey(el);
      var state = stateOf(el);
      // The answer to the request that sent this state decides what the form shows (it may clear it).
      if (!key || state === knownState(el) || (!fromSocket && state === el.dataset.pendingState)) return;
      found.push({ key: key, state: state, known: knownState(el), rendered: renderedState(el), pending: el.dataset.pendingState, start: el.selectionStart, end: el.selectionEnd });
    });
    if (found.length) unsent = { region: target.id, controls: found };
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var kept = unsent;
    unsent = null;
    var region = kept && document.getElementById(kept.region);
    if (!region) return;
    var fields = [];
    kept.controls.forEach(function (was) {
      var el = region.querySelector(was.key);
      if (!el || stateOf(el) !== renderedState(el)) return;
      // The new copy shows what the server held when this page last knew it: nobody else changed it, so what
      // the person has typed since is theirs to keep. Anything else is a change from elsewhere, which wins
      // (the tools whose fields several people edit show those as conflicts).
      var now = renderedState(el);
      if (now !== was.known && now !== was.rendered) return;
      if (el.tagName === "SELECT" && !el.querySelector('option[value="' + CSS.escape(was.state) + '"]')) return;
      setState(el, was.state);
      if (was.known !== now) el.dataset.knownState = was.known;
      if (was.pending !== undefined) el.dataset.pendingState = was.pending; // its request's answer decides
      try { if (was.start !== null) el.setSelectionRange(was.start, was.end); } catch (error) { /* not text */ }
      // As if done again: the page's own listeners (counters, "not saved yet") see it, and a field that saves
      // itself sends it (its pending save left with the old copy).
      el.dispatchEvent(new Event(el.tagName === "SELECT" || checkable(el) ? "change" : "input", { bubbles: true }));
      var field = el.closest("[data-autosave]");
      if (field && fields.indexOf(field) === -1) fields.push(field);
    });
    fields.forEach(function (field) { htmx.trigger(field, field.dataset.autosave); });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt || !elt.closest || !xhr) return;
    var form = elt.closest("form");
    var controls = form ? Array.prototype.slice.call(form.querySelectorAll(KEEPABLE)) : [];
    if (elt.matches(KEEPABLE) && controls.indexOf(elt) === -1) controls.push(elt);
    var sent = controls.map(function (el) { return stateOf(el); });
    var keys = controls.map(controlKey);
    controls.forEach(function (el, i) { el.dataset.pendingState = sent[i]; });
    xhr.addEventListener("loadend", function () {
      // The control, or the copy of it a push has put in its place meanwhile (which carried these marks).
      controls.forEach(function (old, i) {
        var el = old.isConnected || !keys[i] ? old : document.querySelector(keys[i]) || old;
        if (el.dataset.pendingState === sent[i]) delete el.dataset.pendingState;
        if (xhr.status >= 200 && xhr.status < 300) el.dataset.knownState = sent[i];
      });
    });
  });

  // The target of a request on its way (its hx-target, resolved when the request left) may be replaced
  // meanwhile by a push or a resync of its region: its answer would then be swapped into the old copy, off the
  // page, and lost (seen under load: a learner's vote taken back, the answer with her votes gone nowhere).
  // htmx reads the target from the request's details when the answer comes, so the details are pointed at the
  // copy now on the page, and the one rule decides between them: the answer replaces it unless it is older.
  var pendingTargets = [];
  document.addEventListener("htmx:beforeRequest", function (event) {
    var details = event.detail;
    if (!details || !details.target || !details.target.id || !details.xhr) return;
    pendingTargets.push(details);
    details.xhr.addEventListener("loadend", function () {
      var at = pendingTargets.indexOf(details);
      if (at !== -1) pendingTargets.splice(at, 1);
    });
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    pendingTargets.forEach(function (details) {
      if (details.target.isConnected) return;
      var now = document.getElementById(details.target.id);
      if (now) details.target = now;
    });
  });

  // A control disabled while its request runs (hx-disabled-elt) loses focus by the browser's rules. Give it
  // back when the request is done: to the control, or to the same control in a region pushed meanwhile.
  var focusDuringRequest = new WeakMap();
  // The control of the request in flight: a push may replace it meanwhile, and htmx's afterRequest event on a
  // detached control never reaches the document, so the push's swap gives focus back instead.
  var inFlight = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    if (active && active !== document.body && event.detail.elt.contains(active)) {
      inFlight = { el: active, key: focusKey(active) };
      focusDuringRequest.set(event.detail.elt, inFlight);
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var wanted = inFlight;
    if (!wanted || wanted.el.isConnected || !wanted.key) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    inFlight = null;
    var control = document.querySelector(wanted.key);
    if (control && !control.disabled) control.focus({ preventScroll: true });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var wanted = focusDuringRequest.get(event.detail.elt);
    focusDuringRequest.delete(event.detail.elt);
    if (!wanted || (document.activeElement && document.activeElement !== document.body)) return;
    var control = wanted.el.isConnected ? wanted.el : wanted.key && document.querySelector(wanted.key);
    if (control && !control.disabled) control.focus({ preventScroll: true });
  });

  // A tool's message about what the person just did ("You have used all 3 of your votes") is a [data-flash]
  // region. It is shown in the page's flow next to what it is about: moved into the nearest element of
  // data-flash-anchor (the note or question whose button was pressed), so it covers nothing. It has a Dismiss
  // button, goes by itself after FLASH_MS, and goes when the phase changes (it belongs to the tool of the phase
  // it was said in). A region pushed over the anchor would take the message with it: before such a swap it
  // goes back to its place in the page, and after it, next to the (new) anchor again.
  var FLASH_MS = 10000;
  var flashes = {}; // region id -> { anchor: selector of the element it is about, text, timer }
  function flashHome(el) {
    var home = document.querySelector('[data-flash-home="' + CSS.escape(el.id) + '"]');
    if (!home) {
      home = document.createElement("span");
      home.hidden = true;
      home.dataset.flashHome = el.id;
      el.before(home);
    }
    return home;
  }
  function sendHome(el) {
    var home = flashHome(el);
    if (home.nextElementSibling !== el) home.after(el);
  }
  // Emptied by the person (Dismiss), by its time running out or by a phase change, a message forgets the note
  // it was about. Emptied by a push (the answer to an earlier vote, arriving late), it keeps the note of the
  // request on its way, whose answer is to be shown there.
  function clearFlash(el, keepAnchor) {
    var state = flashes[el.id];
    if (state) clearTimeout(state.timer);
    if (state && keepAnchor) {
      state.text = null;
      state.timer = null;
    } else {
      delete flashes[el.id];
    }
    el.textContent = "";
    sendHome(el);
  }
  function placeFlashes() {
    document.querySelectorAll("[data-flash]").forEach(function (el) {
      if (!el.id) return;
      flashHome(el);
      var text = (el.querySelector(".flash-text") || el).textContent.trim();
      if (!text) { clearFlash(el, true); return; }
      var state = flashes[el.id] || (flashes[el.id] = { anchor: null, text: null, timer: null });
      if (!el.querySelector(".flash-text")) {
        var span = document.createElement("span");
        span.className = "flash-text";
        span.textContent = text;
        var dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "flash-dismiss";
        dismiss.dataset.flashDismiss = "";
        dismiss.textContent = "Dismiss";
        el.replaceChildren(span, dismiss);
      }
      if (state.text !== text || state.el !== el) {
        // A new message (or the same one said again): its own time on screen.
        clearTimeout(state.timer);
        state.text = text;
        state.el = el;
        state.timer = setTimeout(function () { clearFlash(el); }, FLASH_MS);
      }
      var anchor = state.anchor && document.querySelector(state.anchor);
      if (anchor && anchor !== el.parentElement) anchor.append(el);
      else if (!anchor) sendHome(el);
    });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-flash]") || !target.dataset.flashAnchor) return;
    var anchor = event.detail.elt.closest && event.detail.elt.closest(target.dataset.flashAnchor);
    var state = flashes[target.id] || (flashes[target.id] = { anchor: null, text: null, timer: null });
    state.anchor = anchor ? focusKey(anchor) : null;
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelectorAll) return;
    target.querySelectorAll("[data-flash]").forEach(sendHome);
  });
  // A message is the person's: a push or a resync of its region (someone else's vote, the socket reopening)
  // brings the region without it, and must not take it away. It goes by Dismiss, its time, a phase change or
  // the answer to the person's next request (swapped into the region itself, not out of band).
  var flashKept = null;
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    flashKept = null;
    var state = target && target.id && flashes[target.id];
    if (event.detail.shouldSwap && state && state.text && target.matches("[data-flash]")) {
      flashKept = { id: target.id, text: state.text };
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    var kept = flashKept;
    flashKept = null;
    var el = kept && document.getElementById(kept.id);
    if (el && !el.textContent.trim()) el.textContent = kept.text;
  });
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.addEventListener(name, placeFlashes);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-flash-dismiss]");
    var el = button && button.closest("[data-flash]");
    if (!el) return;
    var anchor = el.parentElement;
    clearFlash(el);
    // Keyboard users carry on from the note or question the message was about.
    var control = anchor && anchor.querySelector("button:not([disabled])");
    if (control) control.focus({ preventScroll: true });
  });
  document.addEventListener("phasewise:phase", function () {
    document.querySelectorAll("[data-flash]").forEach(function (el) { clearFlash(el); });
  });

  // Refusals (bad input, too fast, a conflict) come back as 4xx with a message to show where the person
  // acted; htmx does not swap error responses unless told to. Regions opt in with data-swap-errors: its value
  // lists the statuses to swap (default "400 409 429"); the nearest such element to the control decides.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig;
    var elt = config && config.elt ? config.elt : event.detail.elt;
    var region = elt && elt.closest ? elt.closest("[data-swap-errors]") : null;
    if (!region || status < 400 || status >= 500) return;
    var statuses = (region.getAttribute("data-swap-errors") || "400 409 429").split(/\s+/);
    if (statuses.indexOf(String(status)) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Fields that save themselves: an element with an id and data-autosave="<the event that sends it>". A save
  // that did not get through (no network, the server down or restarting, a server error) leaves the text where
  // it is and is sent again without another keystroke: when the browser is back online, when the live socket
  // reconnects (the server is back), and every few seconds meanwhile. A retry sends the field as it is now with
  // the version it last saw, so what someone saved meanwhile comes back as a conflict, never overwritten, and
  // a save that arrived but whose answer was lost is the stored text: no change. The tool says it in place: the
  // field gets `phasewise:unsaved` (detail.reason "offline" or "server") and, once a save is answered,
  // `phasewise:answered`. Leaving the page with a field not sent asks first.
  var unsentFields = new Set(); // ids of fields whose last save got no answer
  function autosaveOf(elt) { return elt && elt.closest ? elt.closest("[data-autosave][id]") : null; }
  function saveFailed(event, reason) {
    var field = autosaveOf(event.detail.elt);
    if (!field) return;
    event.detail.phasewiseReported = true; // said in place by the tool, not again in the page's bar
    unsentFields.add(field.id);
    field.dispatchEvent(new CustomEvent("phasewise:unsaved", { bubbles: true, detail: { reason: reason } }));
  }
  document.addEventListener("htmx:sendError", function (event) { saveFailed(event, "offline"); });
  document.addEventListener("htmx:timeout", function (event) { saveFailed(event, "offline"); });
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500 || event.detail.xhr.status === 0) saveFailed(event, "server");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var field = autosaveOf(event.detail.elt);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!field || status <= 0 || status >= 500) return;
    unsentFields.delete(field.id);
    field.dispatchEvent(new CustomEvent("phasewise:answered", { bubbles: true, detail: { status: status } }));
  });
  function resendFields() {
    unsentFields.forEach(function (id) {
      var field = document.getElementById(id);
      if (field && field.dataset.autosave) htmx.trigger(field, field.dataset.autosave);
      else unsentFields.delete(id);
    });
  }
  // Typed before htmx had set the page up (a quick typist, a slow phone): no save started, and the page's own
  // listeners (counters, "not saved yet") missed it. Once htmx has processed the page, a field that saves itself
  // and holds something other than what it was rendered with is told it was typed, and sends it.
  htmx.onLoad(function (root) {
    if (root !== document.body) return;
    document.querySelectorAll("[data-autosave][id]").forEach(function (field) {
      var controls = field.matches(KEEPABLE) ? [field] : Array.prototype.slice.call(field.querySelectorAll(KEEPABLE));
      var typed = controls.filter(function (el) { return stateOf(el) !== renderedState(el); });
      if (!typed.length) return;
      typed.forEach(function (el) {
        el.dispatchEvent(new Event(el.tagName === "SELECT" || checkable(el) ? "change" : "input", { bubbles: true }));
      });
      htmx.trigger(field, field.dataset.autosave);
    });
  });
  window.addEventListener("online", resendFields);
  document.addEventListener("htmx:wsOpen", resendFields);
  setInterval(function () { if (unsentFields.size && navigator.onLine !== false) resendFields(); }, 5000);
  window.addEventListener("beforeunload", function (event) {
    if (!unsentFields.size) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // A request the person made that failed (no network, the server down or restarting, a server error) must
  // not look like a click that did nothing. Tools that say it where the person acted (the wall's note form,
  // worksheet items, plan fields, group fields) mark the event (detail.phasewiseReported); every other failure
  // is said in the page's #net-status bar (base.html), whose text is a lasting assertive live region. Background
  // refetches (resyncs, polls) are left to the connection indicator. The message goes when a later request
  // of the person's gets through, when dismissed, or after a while.
  var NET_OFFLINE = "Could not reach the server — check the connection; nothing was changed. Try again.";
  var NET_TIMEOUT = "The server did not answer in time — check the connection, then try again.";
  var NET_SERVER = "The server had a problem, so that did not go through — nothing was changed. Try again in a moment.";
  // 503: the server is up but its database or Redis is not (workshop/unavailable.py). Like a lost connection,
  // not a refusal: nothing was changed, and the tools keep the text and send it again by themselves.
  var NET_UNAVAILABLE = "The server cannot reach its database or message service for a moment, so that did not go through — nothing was lost. Try again in a few seconds.";
  var netTimer = null;
  var netMessage = ""; // what the bar says, or is about to say
  function personMade(detail) {
    var config = detail.requestConfig || {};
    var event = config.triggeringEvent;
    return (config.verb && config.verb.toLowerCase() !== "get") || !!(event && event.isTrusted);
  }
  function setNetStatus(message) {
    var bar = document.getElementById("net-status");
    if (!bar) return;
    var text = bar.querySelector("[data-net-status-text]");
    var dismiss = bar.querySelector("[data-net-dismiss]");
    clearTimeout(netTimer);
    netMessage = message;
    // Emptied (and the bar hidden) first, so that the same message said again, after a second click that
    // failed, is announced and seen again.
    text.textContent = "";
    bar.classList.remove("shown");
    if (dismiss) dismiss.hidden = true;
    if (!message) return;
    netTimer = setTimeout(function () {
      text.textContent = message;
      bar.classList.add("shown");
      if (dismiss) dismiss.hidden = false;
      netTimer = setTimeout(function () { setNetStatus(""); }, 20000);
    }, 50);
  }
  // Each request the person made is watched on the request itself, not through htmx's events on its element:
  // a push may replace the control while the request is out (a resync after the socket reconnects, another
  // facilitator's change), and htmx's events on a detached control do not reach the document. Its end
  // (loadend) comes after htmx has handled it, tools' listeners included: by then a tool has marked it or not.
  var toldByTool = new WeakMap(); // request -> the htmx event a tool may have marked
  ["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.detail.xhr) toldByTool.set(event.detail.xhr, event.detail);
    });
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !personMade(event.detail)) return;
    var focused = document.activeElement;
    var failure = null;
    xhr.addEventListener("error", function () { failure = NET_OFFLINE; });
    xhr.addEventListener("timeout", function () { failure = NET_TIMEOUT; });
    xhr.addEventListener("abort", function () { failure = "abort"; }); // htmx's own (hx-sync): not a failure
    xhr.addEventListener("loadend", function () {
      if (failure === null && xhr.status >= 500) failure = xhr.status === 503 ? NET_UNAVAILABLE : NET_SERVER;
      if (failure === null) {
        if (netMessage && xhr.status > 0 && xhr.status < 400) setNetStatus("");
        return;
      }
      var told = toldByTool.get(xhr);
      if (failure === "abort" || (told && told.phasewiseReported)) return;
      var active = document.activeElement;
      netFocus = active && active !== document.body ? active : focused;
      setNetStatus(failure);
    });
  });
  // Dismissed from the keyboard: back to where the person was when it failed, not the top of the page.
  var netFocus = null;
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-net-dismiss]")) return;
    setNetStatus("");
    if (netFocus && netFocus.isConnected && netFocus !== document.body) netFocus.focus({ preventScroll: true });
  });

  // Confirm prompts and confirm prompts without inline script (CSP).
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
})();
