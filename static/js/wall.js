// The brainstorm wall's small client: a learner's own vote buttons, the note form after posting, refusal
// messages shown in place, and drag and drop of notes onto clusters for the facilitator. Everything else is htmx.
(function () {
  "use strict";
  if (window.phasewiseWall) return; // included once per page, but be safe
  window.phasewiseWall = true;

  // The pushed board is the same for every learner; their own votes live in #wall-my-votes (data-my-votes).
  // Mark the buttons of the notes they voted on and count the votes they have left on the notes shown.
  function applyMyVotes() {
    var mine = document.getElementById("wall-my-votes");
    var board = document.getElementById("learner-wall-board");
    if (!mine || !board) return;
    var ids = (mine.dataset.myVotes || "").split(" ").filter(Boolean);
    var used = 0;
    var buttons = board.querySelectorAll("[data-vote-button]");
    buttons.forEach(function (button) {
      var voted = ids.indexOf(button.dataset.noteId) !== -1;
      if (voted) used += 1;
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      button.value = voted ? "remove" : "add";
      var label = button.querySelector(".vote-label");
      if (label) label.textContent = voted ? "Voted ✓" : "Vote";
    });
    var perPerson = Number(board.dataset.votesPerPerson || 0);
    var left = Math.max(0, perPerson - used);
    board.querySelectorAll("[data-votes-left]").forEach(function (el) {
      el.textContent = left + " of " + perPerson + " vote" + (perPerson === 1 ? "" : "s") + " left";
    });
    buttons.forEach(function (button) {
      button.classList.toggle("spent", left === 0 && button.value === "add");
    });
  }
  // New notes arrive as additions appended to a board. A board fetched whole between a note's commit and its
  // (coalesced) addition already holds it: keep the first copy of each note only.
  function dropRepeatedNotes() {
    document.querySelectorAll(".wall-board, .wall-projector").forEach(function (board) {
      var seen = {};
      board.querySelectorAll(".note[data-note-id]").forEach(function (note) {
        if (note.closest(".wall-hidden")) return;
        if (seen[note.dataset.noteId]) note.remove();
        else seen[note.dataset.noteId] = true;
      });
    });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.addEventListener(name, dropRepeatedNotes);
    document.addEventListener(name, applyMyVotes);
  });

  // A posted note: empty the form for the next idea, unless the person already typed another one meanwhile.
  // A refused note keeps its text (nothing else clears it).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("[data-wall-compose]")) {
      form.dataset.sentText = form.querySelector("textarea").value;
    }
  });
  // A note that did not reach the server (no network, the server restarting) says so; its text stays in the
  // box for the person to post again. It is not sent again by itself: a note is not idempotent, and one whose
  // answer was lost may well be on the wall already.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-wall-compose]")) return;
    var status = document.getElementById("wall-compose-status");
    if (!status) return;
    status.className = "wall-status error";
    status.textContent = "Not posted: no connection. Your note is still here; post it again when you are back online.";
    event.detail.phasewiseReported = true; // no second, page-wide message (phasewise.js)
  });
  document.addEventListener("wall-posted", function () {
    var form = document.querySelector("[data-wall-compose]");
    if (!form) return;
    var text = form.querySelector("textarea");
    if (text.value !== form.dataset.sentText) return;
    form.reset();
    text.focus();
  });

  // Drag and drop for the facilitator: drop a note on a cluster (or on "Not clustered"). The keyboard way is
  // each note's "Move to cluster" menu; both post to the same URL.
  var dragged = null;
  function zoneOf(target) { return target && target.closest ? target.closest("[data-drop-cluster]") : null; }
  document.addEventListener("dragstart", function (event) {
    var note = event.target.closest && event.target.closest("[data-move-url]");
    if (!note) return;
    dragged = note;
    note.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", note.dataset.noteId);
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
  });
  document.addEventListener("dragover", function (event) {
    var zone = zoneOf(event.target);
    if (!dragged || !zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-over").forEach(function (el) { if (el !== zone) el.classList.remove("drop-over"); });
    zone.classList.add("drop-over");
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!dragged || !zone) return;
    event.preventDefault();
    zone.classList.remove("drop-over");
    htmx.ajax("POST", dragged.dataset.moveUrl, {
      source: dragged, swap: "none", values: { cluster: zone.dataset.dropCluster || "" }
    });
  });
})();
