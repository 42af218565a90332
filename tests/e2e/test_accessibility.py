"""Accessibility in a browser: axe-core (WCAG 2.1 A and AA) on every screen, filled with a realistic session;
learner pages on a 360-pixel phone; the countdown's state in words; phase changes announced to screen readers.

Keyboard-only use is in test_keyboard.py."""

import re
from datetime import timedelta
from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from facilitation import control
from facilitation.joining import SESSION_KEY
from facilitation.models import (
    EvaluateState,
    LiveSession,
    Note,
    PeerReview,
    Poll,
    PollStatus,
    Presentation,
    Question,
    ReviewStatus,
    WallState,
)
from lessons.models import Lesson
from tests.e2e.conftest import in_thread
from tests.factories import make_lesson, make_participant, make_session, make_user, play_workshop

pytestmark = pytest.mark.browser
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 740}
PUSH = 15000  # ms: generous, the machine is shared


def _played_session(owner, lesson=None):
    return in_thread(play_workshop, learners=8, owner=owner, lesson=lesson)


def violations(page: Page) -> list:
    page.wait_for_load_state("networkidle")
    # resultTypes: axe still runs every rule of TAGS on every node and reports every violation in full; only
    # the passes and inapplicable lists (never read here) shrink to one node each, which is most of the work
    # of serialising a large page's results back to Python.
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in found]


def dangling_references(page: Page) -> list[str]:
    """aria-describedby / aria-labelledby ids that name no element: a screen reader then reads nothing (axe
    only flags these for review). Django adds aria-describedby="<id>_error" to invalid fields by itself."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("[aria-describedby], [aria-labelledby]")).flatMap(el =>
            ["aria-describedby", "aria-labelledby"].flatMap(name => (el.getAttribute(name) || "").split(/\\s+/)
                .filter(id => id && !document.getElementById(id)).map(id => `${name}=${id}`)))"""
    )


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def as_learner(person, live, participant, **options) -> Page:
    """A browser that is already `participant`, as if they had joined on it (the played learners joined
    before the browser existed)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = {participant.session.code: participant.pk}
    store.create()
    page = person(**options)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": live.url}]
    )
    return page


def _moderated(session: LiveSession) -> None:
    """What moderation leaves on the facilitator's screens: a hidden note, an answered question."""
    Note.objects.filter(pk=Note.objects.filter(session=session).first().pk).update(hidden=True)
    Question.objects.create(session=session, text="Who owns the cost report?", answered=True)
    Question.objects.create(session=session, text="How do we share one backlog?")


def test_every_main_screen_has_no_axe_violations(live, person):
    owner = make_user(username="a11y")
    session = _played_session(owner)
    in_thread(_moderated, session)
    page = person(viewport={"width": 1280, "height": 900})
    page.goto(f"{live.url}/accounts/login/")
    page.fill("#id_username", "a11y")
    page.fill("#id_password", owner.raw_password)
    page.get_by_role("button", name="Sign in").click()
    urls = [
        "/",
        "/join/",
        "/lessons/",
        f"/lessons/{session.lesson.slug}/",
        "/facilitate/",
        f"/facilitate/{session.code}/",
        f"/facilitate/{session.code}/projector/",
        f"/facilitate/{session.code}/report/",
        f"/facilitate/{session.code}/data/",
        "/s/NOSUCH/",  # the styled "Not found" page
        "/accounts/login/",
    ]
    found = {}
    for url in urls:
        page.goto(live.url + url)
        if problems := violations(page) + dangling_references(page):
            found[url] = problems
    assert found == {}


# --- Learner pages, phase by phase ----------------------------------------------------------------------------


def _bundled_lesson() -> Lesson:
    """The lesson that ships, with its real case studies, worksheet, slides, Wardley map and plan template:
    long real texts are what break a phone layout."""
    call_command("setup_demo", verbosity=0)
    return Lesson.objects.get()


def _reopen_at(session: LiveSession, index: int) -> LiveSession:
    """The played (ended) session, running again at phase `index`, as the facilitator left it there."""
    LiveSession.objects.filter(pk=session.pk).update(ended_at=None)
    session.refresh_from_db()
    if session.current_index != index:
        session = control.go_to(session, index)
    return session


def _explain_extras(session: LiveSession, learner) -> None:
    """What the Explain phase shows a learner: open polls of every kind, a closed one with its results, and
    questions of the room (one answered)."""
    Poll.objects.filter(session=session).update(on_screen=True, revealed=True)
    kinds = [
        ("multiple", "Which domains does your team own?", "DataOps\nMLOps\nFinOps", {}),
        ("scale", "How integrated are your pipelines?", "", {"scale_min_label": "Not at all"}),
        ("words", "One word for your biggest obstacle?", "", {}),
        ("open", "What would you change first?", "", {}),
        ("quiz", "Which practice shows cost per model?", "FinOps\nDataOps", {"correct_option": 1}),
    ]
    for number, (kind, question, options, extra) in enumerate(kinds, start=3):
        Poll.objects.create(
            session=session,
            number=number,
            kind=kind,
            question=question,
            options_text=options,
            status=PollStatus.OPEN,
            on_screen=True,
            show_results_live=number % 2 == 1,
            **extra,
        )
    Question.objects.create(session=session, participant=learner, text="How do we share one backlog?")
    Question.objects.create(session=session, text="Who owns the cost report?", answered=True)


def _show_slide(session: LiveSession, position: int) -> None:
    Presentation.objects.update_or_create(session=session, defaults={"position": position})


def _explain_done(session: LiveSession) -> None:
    """The facilitator takes the polls down when Explain is over."""
    Poll.objects.filter(session=session).update(on_screen=False, status=PollStatus.CLOSED)


def _extras(session: LiveSession, drafting, reviewed) -> None:
    """Voting open on the wall with one vote each (every played learner has used theirs, so the other notes'
    buttons show "no votes left"); in Evaluate `drafting` has a review to write, `reviewed` has their reviews
    released."""
    plan = reviewed.action_plan
    PeerReview.objects.filter(plan__participant=drafting).delete()
    PeerReview.objects.get_or_create(plan=plan, reviewer=drafting, defaults={"status": ReviewStatus.ASSIGNED})
    WallState.objects.update_or_create(session=session, defaults={"voting_open": True, "votes_per_person": 1})
    EvaluateState.objects.update_or_create(
        session=session, defaults={"allocated_at": timezone.now(), "released_at": timezone.now()}
    )


def test_every_learner_screen_has_no_axe_violations_and_fits_a_phone(live, person, screenshot, settings):
    """A learner of a played session, on a 360-pixel phone, in each phase's tool: axe finds nothing, and no
    page scrolls sideways. The screenshots show each tool as a phone shows it."""
    settings.FACILITATOR_PASSWORD = "not-printed"
    owner = make_user(username="a11y-learner")
    session = _played_session(owner, lesson=in_thread(_bundled_lesson))
    learners = list(session.participants.order_by("pk"))
    drafting, reviewed = learners[0], learners[1]
    assert drafting.action_plan.status == "draft" and reviewed.action_plan.status == "submitted"
    in_thread(_extras, session, drafting, reviewed)
    phone = as_learner(person, live, drafting, viewport=PHONE)
    reviewed_phone = as_learner(person, live, reviewed, viewport=PHONE)
    code = session.code
    found, too_wide, missing, shown = {}, {}, {}, {}

    def check(page: Page, name: str, url: str | None, shows: list[str]) -> None:
        """`shows`: what the page must show (so that axe and the width check see the tool itself)."""
        if url:
            page.goto(live.url + url)
        expect(page.locator(shows[0]).first).to_be_visible(timeout=PUSH)
        page.wait_for_load_state("networkidle")
        missing[name] = [selector for selector in shows if not page.locator(selector).first.is_visible()]
        if problems := violations(page) + dangling_references(page):
            found[name] = problems
        if (extra := overflow(page)) > 1:
            too_wide[name] = extra
        shown[name] = screenshot(page, name)

    # The join form, typed and opened from the QR code, and again with the mistakes a hurried learner makes.
    newcomer = person(viewport=PHONE)
    in_thread(_reopen_at, session, 0)
    check(newcomer, "join-code", "/join/", ["#id_code"])
    check(newcomer, "join-code-errors", "/join/?code=ZZZZZZ", ["#code-errors"])
    check(newcomer, "join", f"/join/{code}/", ["#id_name", "#id_role", "#id_acknowledge"])
    newcomer.get_by_role("button", name="Join the session").click()
    check(newcomer, "join-errors", None, [".errorlist", "#id_name[aria-invalid=true]"])

    phases = {phase.order: phase.name for phase in session.lesson.phases.all()}
    for index, name, page, shows in [
        (0, "wall", phone, ["#learner-wall form textarea", "#learner-wall .vote-button"]),
        (1, "worksheet-and-case", phone, ["#learner-worksheet", "#group-room .case-title"]),
        (2, "explain-and-polls", phone, ["#learner-explain .explain-title", "#learner-polls form"]),
        (3, "group-strategy", phone, ["#group-room", "[id^=group-strategy-title]"]),
        (
            4,
            "evaluate-drafting",
            phone,
            ["#plan-region textarea", "#evaluate-my-reviews a", "#support-reflection textarea"],
        ),
        (4, "evaluate-reviewed", reviewed_phone, ["#evaluate-feedback", "#support-confidence"]),
    ]:
        in_thread(_reopen_at, session, index)
        if index == 2:
            in_thread(_explain_extras, session, drafting)
        if index == 3:
            in_thread(_explain_done, session)
        page.goto(f"{live.url}/s/{code}/")
        expect(page.locator("#learner-phase h1")).to_have_text(phases[index], timeout=PUSH)
        check(page, f"{index}-{name}", None, shows)
        if index == 2:  # the presentation moves on: a category slide with the room's results, the Wardley map
            for position, slide, what in [(2, "category", ".severity-bars"), (13, "map", "svg")]:
                in_thread(_show_slide, session, position)
                page.reload()
                check(page, f"2-slide-{slide}", None, [f"#explain-learner-slide {what}"])
    check(phone, "worksheet-page", f"/s/{code}/worksheet/", ["main fieldset input[type=radio]"])
    check(phone, "plan-page", f"/s/{code}/plan/", ["#plan-region"])
    review = PeerReview.objects.get(reviewer=drafting, status=ReviewStatus.ASSIGNED)
    check(
        phone,
        "review-page",
        f"/s/{code}/reviews/{review.pk}/",
        ["main form textarea", "main input[type=radio]"],
    )
    assert {name: selectors for name, selectors in missing.items() if selectors} == {}
    assert found == {}
    assert too_wide == {}, "pages wider than a 360-pixel phone (pixels too wide)"
    assert len(shown) == 15


# --- The countdown's state in words, and phase changes announced ----------------------------------------------


def test_the_countdown_says_its_state_in_words_not_only_in_colour(live, person):
    """The countdown's colours (ending soon, over time, paused) each come with words that say the same, from
    the first paint (before any script) and as the browser counts down; the words for screen readers count
    down too."""
    session = make_session(lesson=make_lesson())
    # The first phase has 20 seconds left: the page opens "ending soon" and runs over time by itself.
    planned = session.phases.get(order=0).budget_seconds
    in_thread(control.start, session, now=timezone.now() - timedelta(seconds=planned - 20))
    page = as_learner(person, live, make_participant(session=session))
    url = f"{live.url}/s/{session.code}/"
    assert '<span class="countdown-state">Ending soon</span>' in page.request.get(url).text()
    # The page's clock is Playwright's: it runs with real time, and once "Ending soon" is seen the test moves
    # it past the end of the phase instead of waiting 20 real seconds. The page's own timer still counts down
    # from the server's timestamps, as it does on a phone; nothing is pushed or reloaded meanwhile.
    page.clock.install()
    # Once the socket is open and its resync answered (nothing: nothing changed since the page was rendered),
    # no region replaces the countdown, which would measure the offset between the server's clock and the
    # page's again: moving the page's clock is only meaningful once that is done.
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.connection === 'live'")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    countdown = page.locator("#learner-phase [data-countdown]")
    state, spoken = countdown.locator(".countdown-state"), countdown.locator(".countdown-words")
    expect(state).to_have_text("Ending soon", timeout=PUSH)
    expect(countdown).to_have_attribute("data-state", "soon")
    expect(spoken).to_have_text(re.compile(r"^\d+ seconds? left in this phase$"))
    page.clock.fast_forward(30_000)
    expect(state).to_have_text(re.compile(r"^Over time by 0:\d\d$"), timeout=PUSH)
    expect(countdown).to_have_attribute("data-state", "over")
    expect(spoken).to_have_text(re.compile(r"^\d+ seconds? over in this phase$"))

    in_thread(control.pause, LiveSession.objects.get(pk=session.pk))
    page.reload()
    expect(state).to_have_text("Paused", timeout=PUSH)
    in_thread(control.resume, LiveSession.objects.get(pk=session.pk))
    in_thread(control.extend, LiveSession.objects.get(pk=session.pk), 5)
    page.reload()
    expect(state).to_have_text("On time", timeout=PUSH)
    expect(countdown).to_have_attribute("data-state", "ok")
    expect(spoken).to_have_text(re.compile(r"^\d+ minutes?( \d+ seconds?)? left in this phase$"))


LIVE_REGIONS_SAYING = """(phase) => (window.__liveRegions || []).filter(el => el.isConnected
    && ["polite", "assertive"].includes(el.getAttribute("aria-live")) && el.textContent.includes(phase)).length"""


def test_a_phase_change_is_announced_to_screen_readers(live, person):
    """When the facilitator moves on, a live region that was already on the learner's page (screen readers
    announce changes to a live region, not a region that arrives new) says the new phase; the facilitator's
    own page says it too, and that the clock is paused."""
    facilitator = make_user()
    session = make_session(lesson=make_lesson(), owner=facilitator)
    in_thread(control.start, session)
    learner = as_learner(person, live, make_participant(session=session))
    learner.goto(f"{live.url}/s/{session.code}/")
    expect(learner.locator("#learner-phase h1")).to_have_text("Engage", timeout=PUSH)
    dashboard = person(viewport={"width": 1280, "height": 900})
    dashboard.goto(f"{live.url}/accounts/login/")
    dashboard.fill("#id_username", facilitator.username)
    dashboard.fill("#id_password", facilitator.raw_password)
    dashboard.get_by_role("button", name="Sign in").click()
    dashboard.goto(f"{live.url}/facilitate/{session.code}/")
    for page in (learner, dashboard):
        page.wait_for_load_state("networkidle")
        page.evaluate("window.__liveRegions = Array.from(document.querySelectorAll('[aria-live]'))")
        assert page.evaluate(LIVE_REGIONS_SAYING, "Explore") == 0

    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(learner.locator("#learner-phase h1")).to_have_text("Explore", timeout=PUSH)
    expect(learner.locator("#announcer")).to_have_text("Now: Explore.", timeout=PUSH)
    assert learner.evaluate(LIVE_REGIONS_SAYING, "Explore") == 1
    expect(dashboard.locator("#announcer")).to_have_text("Now in phase Explore.", timeout=PUSH)
    assert dashboard.evaluate(LIVE_REGIONS_SAYING, "Explore") == 1

    dashboard.get_by_role("button", name="Pause").click()
    expect(dashboard.locator("#announcer")).to_have_text("Now in phase Explore, paused.", timeout=PUSH)
    expect(learner.locator("#learner-phase .countdown-state")).to_have_text("Paused", timeout=PUSH)
