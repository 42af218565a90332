// The Explain phase's small client: ← → keys move slides (dashboard and projector), a learner's own upvote
// buttons marked from #explain-my-votes, the question form emptied after sending, and refusal messages shown in
// place. Everything else is htmx.
(function () {
  "use strict";
  if (window.phasewiseExplain) return; // included by several regions of a page
  window.phasewiseExplain = true;

  // Arrow keys press the slide buttons (they exist on the dashboard and the projector only; learners have none).
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var which = event.key === "ArrowRight" || event.key === "PageDown" ? "[data-explain-next]"
      : event.key === "ArrowLeft" || event.key === "PageUp" ? "[data-explain-prev]" : null;
    if (!which) return;
    var button = document.querySelector(which);
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });

  // The pushed question list is the same for every learner; their own upvotes and questions live in
  // #explain-my-votes. One's own question says so and has no upvote to give (the server refuses it too).
  function applyMyVotes() {
    var mine = document.getElementById("explain-my-votes");
    if (!mine) return;
    var ids = (mine.dataset.myVotes || "").split(" ").filter(Boolean);
    var own = (mine.dataset.myQuestions || "").split(" ").filter(Boolean);
    document.querySelectorAll("[data-upvote-button]").forEach(function (button) {
      var voted = ids.indexOf(button.dataset.questionId) !== -1;
      var isOwn = own.indexOf(button.dataset.questionId) !== -1;
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      button.value = voted ? "remove" : "add";
      button.disabled = isOwn && !voted;
      var meta = button.closest(".question") && button.closest(".question").querySelector(".question-meta");
      var chip = meta && meta.querySelector(".own-question");
      if (isOwn && meta && !chip) {
        chip = document.createElement("span");
        chip.className = "own-question";
        chip.textContent = "Your question";
        meta.prepend(chip);
      } else if (!isOwn && chip) {
        chip.remove();
      }
    });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.addEventListener(name, applyMyVotes);
  });

  // On a phone the map is wider than the screen: bring the highlighted component into view.
  function showHighlight() {
    document.querySelectorAll(".wardley-frame").forEach(function (frame) {
      var dot = frame.querySelector(".is-highlighted .dot");
      if (!dot || frame.scrollWidth <= frame.clientWidth) return;
      var box = dot.getBoundingClientRect(), view = frame.getBoundingClientRect();
      frame.scrollLeft += box.left + box.width / 2 - (view.left + view.width / 2);
    });
  }
  ["DOMContentLoaded", "htmx:afterSettle", "htmx:oobAfterSwap"].forEach(function (name) {
    document.addEventListener(name, showHighlight);
  });

  // Refusals (bad input, too fast, closed) come back as 4xx with a message to show where the person acted.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var config = event.detail.requestConfig;
    var elt = config && config.elt ? config.elt : event.detail.elt;
    if ((status === 400 || status === 409 || status === 429) && elt && elt.closest && elt.closest("[data-explain]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A sent question: empty the form, unless the person already typed another one meanwhile.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("[data-explain-ask]")) {
      form.dataset.sentText = form.querySelector("textarea").value;
    }
  });
  document.addEventListener("explain-asked", function () {
    var form = document.querySelector("[data-explain-ask]");
    if (!form) return;
    var text = form.querySelector("textarea");
    if (text.value !== form.dataset.sentText) return;
    text.value = "";
  });
})();
