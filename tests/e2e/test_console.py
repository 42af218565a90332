"""A lively session watched for htmx's own errors in the browser console: every region a push or an answer
carries to a screen must find its target there (`htmx:oobErrorNoTarget` otherwise), on the dashboard and on
the projector, through notes, votes, a poll, phase changes, a pause and the end.

The facilitator's own clicks are the hard case: the change is pushed to every facilitator's screen and the push
often lands before the click's answer, replacing the region that held the button (see phasewise.js)."""

import pytest
from playwright.sync_api import Page, expect

from facilitation.models import PreparedPoll
from tests.e2e.conftest import join, open_tab, sign_in
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}


def watch(page: Page) -> list[str]:
    """Collect the page's htmx errors (htmx logs them through console.error, named after the event)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" or "htmx:" in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_dashboard_and_projector_log_no_htmx_errors_through_a_lively_session(live, person, screenshot):
    lesson = make_lesson()
    PreparedPoll.objects.create(
        lesson=lesson,
        phase=lesson.phases.get(name="Engage"),
        kind="single",
        question="Which obstacle hurts most?",
        options_text="Silos\nCosts",
        show_results_live=True,
    )
    facilitator = make_user()
    session = make_session(lesson=lesson, owner=facilitator)
    dashboard = sign_in(person, live, facilitator)
    dashboard_errors = watch(dashboard)
    dashboard.goto(f"{live.url}/facilitate/{session.code}/")
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector_errors = watch(projector)
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    ada, grace = (join(person, live, session.code, name) for name in ("Ada", "Grace"))
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)

    # Notes and votes.
    for learner, text in ((ada, "Nobody owns model costs"), (grace, "Separate backlogs")):
        learner.fill("#wall-note-text", text)
        learner.get_by_role("button", name="Post note").click()
        expect(learner.locator("#wall-compose-status")).to_have_text("Posted to the wall.")
    expect(projector.locator(".note", has_text="Separate backlogs")).to_be_visible(timeout=PUSH)
    dashboard.get_by_role("button", name="Open voting").click()
    for learner in (ada, grace):
        vote = learner.locator(".note", has_text="Nobody owns model costs").locator("[data-vote-button]")
        expect(vote).to_be_visible(timeout=PUSH)
        vote.click()
        expect(vote).to_have_attribute("aria-pressed", "true")
    expect(
        dashboard.locator(".note", has_text="Nobody owns model costs").locator(".vote-count")
    ).to_have_text("2 votes", timeout=PUSH)

    # A poll, answered, its results live.
    open_tab(dashboard, "Polls")
    dashboard.locator(".poll-prepared li", has_text="Which obstacle").get_by_role(
        "button", name="Open now"
    ).click()
    for learner, option in ((ada, "Silos"), (grace, "Costs")):
        learner.get_by_label(option).check()
        learner.get_by_role("button", name="Send answer").click()
    expect(projector.locator(".projector-poll .poll-bar", has_text="Costs")).to_contain_text(
        "1 · 50%", timeout=PUSH
    )
    dashboard.locator(".poll-card").get_by_role("button", name="Close").click()
    expect(projector.locator(".projector-poll .eyebrow")).to_contain_text("closed", timeout=PUSH)

    # Phase changes, a pause, the end.
    for name in ("Explore", "Explain"):
        dashboard.get_by_role("button", name=f"Next: {name} →").click()
        expect(projector.locator("#projector-clock .phase-name")).to_have_text(name, timeout=PUSH)
    dashboard.get_by_role("button", name="Pause").click()
    expect(projector.locator(".countdown-state")).to_have_text("Paused", timeout=PUSH)
    dashboard.on("dialog", lambda dialog: dialog.accept())
    dashboard.get_by_role("button", name="End session").click()
    expect(projector.locator("#projector-clock h2")).to_contain_text("this session has ended", timeout=PUSH)
    expect(ada.locator("#learner-phase h1")).to_have_text("Thank you for taking part", timeout=PUSH)
    # Pushes that came after the last check have arrived too: the dashboard's own people count follows.
    expect(dashboard.locator(".ended-note")).to_be_visible(timeout=PUSH)
    screenshot(dashboard, "dashboard-ended")

    assert [e for e in dashboard_errors if "htmx" in e.lower()] == []
    assert [e for e in projector_errors if "htmx" in e.lower()] == []
