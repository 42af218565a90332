"""Keyboard-only use in a real browser: a learner joins, posts a note, votes, fills the worksheet and the action
plan, and a facilitator runs the clock, all with Tab, Shift+Tab, Enter, Space, arrow keys and typing, never a
mouse. Every stop on the way must show where the focus is."""

import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from facilitation import control
from facilitation.models import ActionPlan, LiveSession, Note, WallState, WorksheetAnswer
from tests.e2e.test_accessibility import as_learner, in_thread
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.browser
PUSH = 15000  # ms: generous, the machine is shared

# After each key press: what has focus, how its focus shows (outline or box shadow, on the element or, for an
# input drawn by its label, on the label or the element after it), and how the element that just lost focus
# looks now. A focus style is one that changes when focus leaves.
STOP = """() => {
  const look = el => {
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0
      ? `outline ${cs.outlineWidth} ${cs.outlineStyle} ${cs.outlineColor}` : "";
    const shadow = cs.boxShadow !== "none" ? `shadow ${cs.boxShadow}` : "";
    return [outline, shadow].filter(Boolean).join("; ");
  };
  const drawn = el => {
    const cs = getComputedStyle(el);
    const hidden = parseFloat(cs.opacity) === 0 || el.offsetWidth <= 1 || el.offsetHeight <= 1;
    if (!hidden) return el;
    return [el.nextElementSibling, el.closest("label")].find(c => c && look(c)) || el.closest("label") || el;
  };
  const name = el => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${(el.innerText || el.value
    || el.getAttribute("aria-label") || "").trim().slice(0, 40)}"`;
  const result = {};
  const was = window.__focusWas;
  const now = document.activeElement;
  if (was && was.el !== now && was.el.isConnected) {
    result.left = { name: was.name, focused: was.look, unfocused: look(drawn(was.el)) };
  }
  if (now && now !== document.body) {
    result.now = { name: name(now), look: look(drawn(now)) };
    window.__focusWas = { el: now, name: result.now.name, look: result.now.look };
  }
  return result;
}"""


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    rgb = tuple(int(v) for v in re.findall(r"\d+", colour)[:3])
    return 1.05 / (_luminance(rgb) + 0.05)


class Keys:
    """page.keyboard, checking after every key that focus is on something and visibly so."""

    def __init__(self, page: Page):
        self.page = page

    def _check(self, key: str) -> None:
        try:
            stop = self.page.evaluate(STOP)
        except PlaywrightError as error:  # the key sent a form and the page is on its way to the next one
            if "context was destroyed" in str(error) or "navigation" in str(error):
                return
            raise
        if "now" in stop:
            assert stop["now"]["look"], (
                f"after {key}, {stop['now']['name']} has focus but shows no focus style"
            )
            for colour in re.findall(r"outline \S+ \S+ (rgb\([^)]*\))", stop["now"]["look"]):
                assert contrast_with_white(colour) >= 3, f"focus ring {colour} is too faint on white"
        if "left" in stop:
            left = stop["left"]
            assert left["focused"] != left["unfocused"], f"{left['name']} looks the same focused and not"

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self._check(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def tab_to(self, target: Locator, *, backwards: bool = False, limit: int = 60) -> int:
        """Tab (or Shift+Tab) until `target` has focus; how many presses it took."""
        key = "Shift+Tab" if backwards else "Tab"
        expect(target).to_be_attached(timeout=PUSH)
        for presses in range(1, limit + 1):
            self.press(key)
            if target.evaluate("el => el === document.activeElement"):
                return presses
        raise AssertionError(f"{target} not reached with {limit} presses of {key}")


def eventually(check, timeout: float = 15) -> None:
    """Wait until `check()` (a look at the database) holds: an autosave lands a moment after the typing."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "still not saved"
        time.sleep(0.2)


def _started_with_a_note(session: LiveSession) -> None:
    control.start(session)
    WallState.objects.create(session=session, voting_open=True)
    grace = make_participant(session=session, name="Grace", experience="experienced")
    Note.objects.create(session=session, participant=grace, text="Nobody owns the data contract")


def _go_to(session: LiveSession, index: int) -> None:
    control.go_to(LiveSession.objects.get(pk=session.pk), index)


def test_a_learner_joins_and_takes_part_with_the_keyboard_only(live, person):
    session = make_session(lesson=make_lesson())
    in_thread(_started_with_a_note, session)
    code = session.code
    page = person(viewport={"width": 390, "height": 844})
    keys = Keys(page)

    # Join: the code typed as people do (lower case), Enter; then name, level, role, consent, Enter.
    page.goto(f"{live.url}/join/")
    keys.tab_to(page.locator("#id_code"))
    keys.type(code.lower())
    keys.press("Enter")
    expect(page).to_have_url(f"{live.url}/join/{code}/", timeout=PUSH)
    keys.tab_to(page.locator("#id_name"))
    keys.type("Ada")
    keys.press("Tab")  # into the level radios: the first one
    expect(page.locator("#id_experience_0")).to_be_focused()
    keys.press("ArrowDown")  # moves to, and picks, the second
    expect(page.locator("#id_experience_1")).to_be_checked()
    keys.tab_to(page.locator("#id_role"))
    keys.type("Finance")
    expect(page.locator("#id_role")).to_have_value("finance")
    keys.tab_to(page.locator("#id_acknowledge"))
    keys.press("Space")
    expect(page.locator("#id_acknowledge")).to_be_checked()
    keys.tab_to(page.get_by_role("button", name="Join the session"))
    keys.press("Enter")
    expect(page).to_have_url(f"{live.url}/s/{code}/", timeout=PUSH)
    expect(page.locator(".learner-header .who")).to_have_text("Ada")
    ada = session.participants.get(name="Ada")
    assert (ada.experience, ada.role) == ("experienced", "finance")

    # A note: typed, a colour picked with the arrow keys, posted with Enter.
    keys.tab_to(page.locator("#wall-note-text"))
    keys.type("Costs are reported per team, never per model")
    keys.press("Tab")
    expect(page.locator("#wall-compose input[value=yellow]")).to_be_focused()
    keys.press("ArrowRight")
    expect(page.locator("#wall-compose input[value=pink]")).to_be_checked()
    keys.tab_to(page.get_by_role("button", name="Post note"))
    keys.press("Enter")
    mine = page.locator("#learner-wall-board .note-pink", has_text="Costs are reported per team")
    expect(mine).to_be_visible(timeout=PUSH)
    expect(page.locator("#wall-note-text")).to_have_value("")
    assert Note.objects.get(participant=ada).colour == "pink"

    # A vote on Grace's note, with Enter; the button says so and focus stays on it through the push.
    vote = page.locator("#learner-wall-board li", has_text="Nobody owns the data contract").locator(
        ".vote-button"
    )
    keys.tab_to(vote)
    keys.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true", timeout=PUSH)
    expect(vote).to_contain_text("Voted")
    expect(page.locator("[data-votes-left]").first).to_have_text("2 of 3 votes left")
    expect(
        page.locator("#learner-wall-board li", has_text="Nobody owns").locator(".vote-count")
    ).to_have_text("1 vote", timeout=PUSH)
    expect(vote).to_be_focused()
    assert Note.objects.get(text="Nobody owns the data contract").votes.filter(participant=ada).exists()

    # Explore: the worksheet, its severity picked with Space and the arrow keys, a comment typed.
    in_thread(_go_to, session, 1)
    page.reload()
    first = page.locator(".ws-item").first
    keys.tab_to(first.locator("input[name=severity][value='1']"))
    keys.press("Space")
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    expect(first.locator("input[name=severity][value='3']")).to_be_checked()
    keys.tab_to(first.locator("textarea"))
    keys.type("Two backlogs, one for data and one for ML")
    answers = WorksheetAnswer.objects.filter(participant=ada, item__order=0, item__category__order=0)
    eventually(
        lambda: answers.filter(severity=3, comment="Two backlogs, one for data and one for ML").exists()
    )
    expect(first.locator(".ws-status")).to_have_text(re.compile("Saved"), timeout=PUSH)

    # Evaluate: the action plan typed field by field, submitted with Enter.
    in_thread(_go_to, session, 4)
    page.reload()
    for field, text in [("obstacle", "Organizational silos"), ("goal", "One backlog by the end of Q3")]:
        keys.tab_to(page.locator(f"#plan-{field}"))
        keys.press("Control+A")
        keys.type(text)
        expect(page.locator(f"#plan-state-{field}")).to_contain_text("Saved", timeout=PUSH)
    keys.tab_to(page.get_by_role("button", name="Submit my plan"))
    keys.press("Enter")
    expect(page.locator("#plan-region .plan-submitted")).to_contain_text(
        "One backlog by the end of Q3", timeout=PUSH
    )
    plan = ActionPlan.objects.get(participant=ada)
    assert plan.status == "submitted" and plan.submitted_at <= timezone.now()


def _sign_in(page: Page, keys: Keys, live, user) -> None:
    page.goto(f"{live.url}/accounts/login/")
    keys.tab_to(page.locator("#id_username"))
    keys.type(user.username)
    keys.tab_to(page.locator("#id_password"))
    keys.type(user.raw_password)
    keys.press("Enter")
    expect(page).to_have_url(f"{live.url}/facilitate/", timeout=PUSH)


def test_a_facilitator_runs_the_clock_with_the_keyboard_only(live, person):
    """Start, pause, resume, next and previous phase from the keyboard. Each control is replaced when the clock
    is pushed; focus stays on it, so the next key press acts where the facilitator expects."""
    facilitator = make_user()
    session = make_session(lesson=make_lesson(), owner=facilitator)
    learner = as_learner(person, live, make_participant(session=session))
    learner.goto(f"{live.url}/s/{session.code}/")
    page = person(viewport={"width": 1280, "height": 900})
    keys = Keys(page)
    _sign_in(page, keys, live, facilitator)
    page.goto(f"{live.url}/facilitate/{session.code}/")
    toggle = page.locator("#clock-toggle")
    state = page.locator("#clock .countdown-state")
    learner_state = learner.locator("#learner-phase .countdown-state")

    keys.tab_to(page.get_by_role("button", name="Start session"))
    keys.press("Enter")
    expect(page.locator("#clock-title")).to_have_text("Engage", timeout=PUSH)
    expect(toggle).to_have_text("Pause")
    expect(toggle).to_be_focused()
    expect(learner.locator("#learner-phase h1")).to_have_text("Engage", timeout=PUSH)

    keys.press("Space")
    expect(toggle).to_have_text("Resume", timeout=PUSH)
    expect(state).to_have_text("Paused")
    expect(learner_state).to_have_text("Paused", timeout=PUSH)
    expect(toggle).to_be_focused()

    keys.press("Enter")
    expect(toggle).to_have_text("Pause", timeout=PUSH)
    expect(state).to_have_text("On time")
    expect(learner_state).to_have_text("On time", timeout=PUSH)

    keys.tab_to(page.locator("#clock-next"))
    keys.press("Enter")
    expect(page.locator("#clock-title")).to_have_text("Explore", timeout=PUSH)
    expect(learner.locator("#learner-phase h1")).to_have_text("Explore", timeout=PUSH)
    expect(page.locator("#clock-next")).to_have_text("Next: Explain →")
    expect(page.locator("#clock-next")).to_be_focused()

    keys.tab_to(page.locator("#clock-previous"), backwards=True)
    keys.press("Enter")
    expect(page.locator("#clock-title")).to_have_text("Engage", timeout=PUSH)
    expect(learner.locator("#learner-phase h1")).to_have_text("Engage", timeout=PUSH)
    session.refresh_from_db()
    assert session.current_index == 0 and session.segments.count() == 3
