// Breakout groups' small client: shared fields that never lose anyone's text, conflict choices, refusal
// messages shown in place, and annotating a passage of the case study. Everything else is htmx.
(function () {
  "use strict";
  if (window.phasewiseGroups) return; // included by several regions of a page
  window.phasewiseGroups = true;

  // One id per tab: a field pushed back to the tab that saved it is ignored (the save's response already
  // updated it), so the person's newer keystrokes are never replaced by their own older save.
  var CLIENT = Math.random().toString(36).slice(2, 12);

  function fieldValue(form) {
    var text = form.querySelector("textarea[name=value]");
    if (text) return text.value.trim();
    return Array.prototype.map.call(form.querySelectorAll("input[name=choice]:checked"), function (box) {
      return box.value;
    }).join(",");
  }
  function setFieldValue(form, value) {
    var text = form.querySelector("textarea[name=value]");
    if (text) { text.value = value; return; }
    var chosen = value ? value.split(",") : [];
    form.querySelectorAll("input[name=choice]").forEach(function (box) { box.checked = chosen.indexOf(box.value) !== -1; });
  }
  function versionInput(form) { return form.querySelector("[data-version-input]"); }
  function isDirty(form) { return fieldValue(form) !== (form.dataset.base || "").trim(); }
  function statusOf(form) { return form.querySelector(".gfield-status"); }
  function setStatus(form, text, kind) {
    var status = statusOf(form);
    if (!status || status.classList.contains("conflict")) return;
    status.textContent = text;
    status.className = "gfield-status" + (kind ? " " + kind : "");
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("[data-gfield]")) {
      event.detail.parameters.client = CLIENT;
      elt.dataset.sending = fieldValue(elt);
      // A field being retried keeps saying it is not saved (its status is read out on every change).
      if (!elt.classList.contains("gfield-unsaved")) setStatus(elt, "Saving…", "");
    }
    if (elt && elt.matches && elt.matches("[data-annotate-form]")) elt.dataset.sent = "1";
  });

  // A save answered: 200 moves the field to the saved version; 409 shows both texts (the status region).
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-gfield]")) return;
    var status = event.detail.xhr.status;
    if (status === 200) {
      var saved = statusOf(elt);
      var version = saved && saved.dataset.savedVersion;
      if (version) {
        versionInput(elt).value = version;
        elt.dataset.version = version;
        elt.dataset.base = elt.dataset.sending || "";
      }
      // Typed (or ticked) more while this save was on its way: save that too, so nothing stays unsaved.
      if (isDirty(elt)) setTimeout(function () { if (isDirty(elt)) htmx.trigger(elt, "change"); }, 0);
    }
  });

  // A save that did not get through is kept and sent again by phasewise.js (data-autosave on each field),
  // with the version it last saw: what a group mate saved meanwhile comes back as a conflict with both texts,
  // never overwritten. The field says it is not saved until a save is answered. Refusals (bad input,
  // conflicts, full groups) come back as 4xx and are shown in place (data-swap-errors="400 409").
  var OFFLINE = "Not saved — check your connection; your text is still here. Retrying…";
  var SERVER = "Not saved — the server had a problem; your text is still here. Retrying…";
  function fieldOf(elt) { return elt && elt.matches && elt.matches("[data-gfield]") ? elt : null; }
  document.addEventListener("phasewise:unsaved", function (event) {
    var form = fieldOf(event.target);
    if (!form) return;
    form.classList.add("gfield-unsaved");
    setStatus(form, event.detail.reason === "offline" ? OFFLINE : SERVER, "error");
  });
  document.addEventListener("phasewise:answered", function (event) {
    var form = fieldOf(event.target);
    if (form) form.classList.remove("gfield-unsaved");
  });

  // A field pushed by another member: swap it in unless this person is typing in it; then keep their text
  // and tell them. Their next save is based on the older version, so the server shows both texts.
  var refocus = null;
  // A whole region arriving (the room after a phase change or a reconnect): keep, as they are, the parts this
  // person is in the middle of, so a pushed copy never wipes unsaved typing (htmx keeps hx-preserve elements).
  // A field is also kept while its save is on the way, and unless the region brings a newer version than this
  // tab has: an older one (a copy rendered before this tab's save) would base the next save on it, and the
  // person's own save would come back as a conflict; the same one would only wipe its "Saved" status.
  function keepInProgress(target, fragment) {
    var keep = [];
    target.querySelectorAll("[data-gfield]").forEach(function (form) {
      var incoming = fragment.querySelector("#" + CSS.escape(form.id));
      var notNewer = incoming && Number(incoming.dataset.version || 0) <= Number(versionInput(form).value || 0);
      if (isDirty(form) || notNewer || form.classList.contains("htmx-request") || form.contains(document.activeElement)) {
        keep.push(form.id);
      }
    });
    var annotate = target.querySelector("[data-annotate-form]");
    if (annotate && !annotate.hidden) keep.push(annotate.id);
    target.querySelectorAll("[data-keep-while-editing][data-touched]").forEach(function (form) { keep.push(form.id); });
    var note = target.querySelector("#group-note-text");
    if (note && note.value.trim()) keep.push(note.id);
    keep.forEach(function (id) {
      var incoming = fragment.querySelector("#" + CSS.escape(id));
      if (incoming) incoming.setAttribute("hx-preserve", "true");
    });
  }
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches) return;
    if (!target.matches("[data-gfield]")) {
      if (event.detail.fragment && target.querySelector("[data-gfield], [data-annotate-form], [data-keep-while-editing]")) {
        keepInProgress(target, event.detail.fragment);
      }
      return;
    }
    var fragment = event.detail.fragment;
    var incoming = fragment && (fragment.firstElementChild || fragment);
    if (!incoming || !incoming.dataset) return;
    var local = Number(versionInput(target).value || 0);
    if (incoming.dataset.client === CLIENT || Number(incoming.dataset.version || 0) <= local) {
      event.detail.shouldSwap = false;
      return;
    }
    if (isDirty(target)) {
      event.detail.shouldSwap = false;
      var who = incoming.dataset.editor || "Someone";
      setStatus(target, who + " saved a new version while you were typing. Your text is kept: when it saves you will see both.", "warn");
      return;
    }
    var active = document.activeElement;
    if (active && target.contains(active) && active.id) {
      refocus = { id: active.id, start: active.selectionStart, end: active.selectionEnd };
    }
  });
  document.addEventListener("htmx:oobAfterSwap", function () {
    if (!refocus) return;
    var el = document.getElementById(refocus.id);
    if (el) {
      el.focus();
      if (typeof refocus.start === "number" && el.setSelectionRange) el.setSelectionRange(refocus.start, refocus.end);
    }
    refocus = null;
  });

  // Conflict choices: take the saved text, or keep one's own (saved on top of the version just seen).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-conflict]");
    if (!button) return;
    var form = button.closest("[data-gfield]");
    var box = button.closest(".gfield-status");
    if (!form || !box) return;
    var version = box.dataset.conflictVersion;
    versionInput(form).value = version;
    form.dataset.version = version;
    if (button.dataset.conflict === "theirs") {
      setFieldValue(form, box.dataset.theirValue || "");
      form.dataset.base = (box.dataset.theirValue || "").trim();
      box.outerHTML = '<p class="gfield-status ok" role="status" aria-live="polite"></p>';
      setStatus(form, "Using the saved text.", "ok");
      var replaced = form.querySelector(".gfield-status");
      if (replaced) replaced.id = "gf-status-" + form.id.slice(3);
    } else {
      htmx.trigger(form, "change");
    }
  });

  // The facilitator's forms (form groups, message all groups) keep what is being typed when their region is
  // pushed again (a phase change); a form that was sent is theirs to re-render again.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-keep-while-editing]");
    if (form) form.dataset.touched = "1";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("[data-keep-while-editing]");
    if (form && event.detail.successful) delete form.dataset.touched;
  });

  // --- Projector ------------------------------------------------------------------------------------------
  // A group's strategy arriving on the projector: bring its heading on screen if it is not (the page may have
  // been scrolled, or other panels stand above it). Only when another group starts presenting: a late edit to
  // the same strategy re-renders it, and must not pull back a page someone scrolled to read the rest.
  var presented = null;
  function showPresented() {
    var stage = document.querySelector("#groups-projector[data-presenting]");
    var now = stage ? stage.dataset.presenting : null;
    if (now === presented) return;
    presented = now;
    var heading = stage && stage.querySelector(".present-name");
    if (!heading) return;
    var box = heading.getBoundingClientRect();
    if (box.top >= 0 && box.bottom <= window.innerHeight) return;
    // Near the top of the page (as the projector lays it out while presenting): the top, with the join strip
    // and the clock; further down, the presentation at the top of the screen.
    var top = stage.getBoundingClientRect().top + window.scrollY;
    if (top < window.innerHeight / 2) window.scrollTo(0, 0);
    else stage.scrollIntoView({ block: "start" });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap"].forEach(function (name) {
    document.addEventListener(name, showPresented);
  });

  // --- Annotations -----------------------------------------------------------------------------------------
  // The scenario's text, with whitespace runs collapsed, and for each of its characters the text node and
  // offset it came from: quotes are matched in it, so line breaks between paragraphs do not matter.
  function textMap(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var chars = [], nodes = [], offsets = [], raw = 0, rawIndex = [];
    var lastSpace = true, node;
    while ((node = walker.nextNode())) {
      var data = node.data;
      for (var i = 0; i < data.length; i++, raw++) {
        var space = /\s/.test(data[i]);
        if (space && lastSpace) continue;
        chars.push(space ? " " : data[i]);
        nodes.push(node); offsets.push(i); rawIndex.push(raw);
        lastSpace = space;
      }
    }
    return { text: chars.join(""), nodes: nodes, offsets: offsets, raw: rawIndex };
  }
  function normalise(text) { return text.replace(/\s+/g, " ").trim(); }

  function highlight(scenario) {
    var data;
    try { data = JSON.parse(scenario.dataset.highlights || "[]"); } catch (e) { return; }
    data.forEach(function (item) {
      var map = textMap(scenario);
      var quote = normalise(item.quote);
      if (!quote) return;
      // The occurrence nearest to where it was selected (offsets count in the raw text).
      var best = -1, bestDistance = Infinity, from = 0, at;
      while ((at = map.text.indexOf(quote, from)) !== -1) {
        var distance = Math.abs(map.raw[at] - item.start);
        if (distance < bestDistance) { best = at; bestDistance = distance; }
        from = at + 1;
      }
      if (best === -1) return;
      // Wrap each text node's part of the match in a <mark>, last node first so offsets stay valid.
      var parts = [];
      for (var i = best; i < best + quote.length; i++) {
        var last = parts[parts.length - 1];
        if (last && last.node === map.nodes[i]) last.end = map.offsets[i] + 1;
        else parts.push({ node: map.nodes[i], start: map.offsets[i], end: map.offsets[i] + 1 });
      }
      parts.reverse().forEach(function (part) {
        var range = document.createRange();
        range.setStart(part.node, part.start);
        range.setEnd(part.node, part.end);
        var mark = document.createElement("mark");
        mark.className = "annotation-mark";
        mark.dataset.annotationId = item.id;
        try { range.surroundContents(mark); } catch (e) { /* a partly overlapping highlight: skip */ }
      });
    });
  }
  function highlightAll() {
    document.querySelectorAll("[data-annotatable][data-highlights]").forEach(function (scenario) {
      if (scenario.dataset.highlighted === scenario.dataset.highlights) return;
      scenario.dataset.highlighted = scenario.dataset.highlights;
      highlight(scenario);
    });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.addEventListener(name, highlightAll);
  });

  // Selecting a passage shows "Annotate"; pressing it opens the form with the exact quote and its offset.
  var pending = null;
  function selectionInScenario() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    var range = selection.getRangeAt(0);
    var node = range.commonAncestorContainer;
    var element = node.nodeType === 1 ? node : node.parentElement;
    var scenario = element && element.closest("[data-annotatable]");
    if (!scenario || scenario.closest("fieldset[disabled]")) return null;
    var quote = selection.toString();
    if (!normalise(quote)) return null;
    var before = document.createRange();
    before.setStart(scenario, 0);
    before.setEnd(range.startContainer, range.startOffset);
    return { scenario: scenario, quote: quote.slice(0, 500), start: before.toString().length, rect: range.getBoundingClientRect() };
  }
  function placeButton() {
    var found = selectionInScenario();
    var button = document.querySelector("[data-annotate-button]");
    if (!button) return;
    if (!found) { button.hidden = true; return; }
    pending = found;
    var card = button.offsetParent || document.body;
    var box = card.getBoundingClientRect();
    button.style.top = Math.max(0, found.rect.bottom - box.top + 6) + "px";
    button.style.left = Math.max(0, Math.min(found.rect.left - box.left, box.width - 120)) + "px";
    button.hidden = false;
  }
  var timer = null;
  document.addEventListener("selectionchange", function () {
    clearTimeout(timer);
    timer = setTimeout(placeButton, 150);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-annotate-button]");
    if (button && pending) {
      var form = document.querySelector("[data-annotate-form]");
      form.querySelector("[name=quote]").value = pending.quote;
      form.querySelector("[name=start]").value = pending.start;
      form.querySelector("[data-annotate-quote]").textContent = "“" + normalise(pending.quote) + "”";
      form.hidden = false;
      button.hidden = true;
      form.querySelector("textarea").focus();
      return;
    }
    var cancel = event.target.closest && event.target.closest("[data-annotate-cancel]");
    if (cancel) {
      var open = cancel.closest("[data-annotate-form]");
      open.reset();
      open.hidden = true;
    }
  });
  document.addEventListener("group-annotated", function () {
    var form = document.querySelector("[data-annotate-form]");
    if (form) { form.reset(); form.hidden = true; }
  });
  document.addEventListener("group-note-posted", function () {
    var form = document.querySelector("[data-group-note]");
    if (form) form.querySelector("textarea").value = "";
  });
})();
