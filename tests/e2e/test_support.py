"""Support in real browsers against a real daphne server: a learner asks for help and follows its state live
while the facilitator handles it from the dashboard; two learners rate their confidence at the start and at
the end and the facilitator sees the room's shift; a learner writes the exit reflection after the session has
ended; the facilitator writes theirs. Nothing is reloaded on the phones."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ARTIFACTS
from tests.e2e.conftest import join, open_tab, same_document, sign_in
from tests.factories import make_lesson, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms


def rate(page: Page, values: dict[str, int], button: str) -> None:
    card = page.locator("#support-confidence")
    for domain, value in values.items():
        card.get_by_role("radio", name=f"{value} of 5 for {domain}").check()
    card.get_by_role("button", name=button).click()


def element_shot(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"test_support-{name}.png"))


def test_help_queue_self_assessment_and_reflections_run_live(live, person, screenshot):
    facilitator = make_user()
    code = make_session(lesson=make_lesson(), owner=facilitator).code
    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    panel = dashboard.locator("#support-panel")
    expect(panel).to_contain_text("Nobody is waiting")

    # Before the start: both learners rate their confidence in the lesson's domains.
    ada = join(person, live, code, "Ada")
    grace = join(person, live, code, "Grace")
    expect(ada.locator("#support-help")).to_be_hidden()  # help opens when the session starts
    expect(ada.locator("#support-confidence h2")).to_have_text("How confident do you feel today?")
    screenshot(ada, "phone-self-assessment-before")
    rate(ada, {"DataOps": 2, "MLOps": 3, "FinOps": 1}, "Save my ratings")
    expect(ada.locator("#support-confidence")).to_contain_text("Saved. We'll ask again in the last phase.")
    rate(grace, {"DataOps": 1, "MLOps": 2, "FinOps": 2}, "Save my ratings")
    shift = panel.locator("#support-shift .shift-row", has_text="DataOps")
    expect(shift.locator(".shift-means")).to_contain_text("1.5 → –", timeout=PUSH)

    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    open_tab(dashboard, "Coaching")

    # Ada asks for help; the queue shows it live; she sees each state without a reload.
    ask = ada.get_by_role("button", name="Ask for help")
    expect(ask).to_be_attached(timeout=PUSH)
    ada.evaluate("window.scrollTo(0, 0)")
    shortcut = ada.get_by_role("link", name="Ask for help")  # floats over the page wherever you are
    expect(shortcut).to_be_visible()
    shortcut.click()
    expect(ada.locator("#support-help-message")).to_be_in_viewport()
    ada.fill("#support-help-message", "<script>alert('x')</script> Our group is stuck on cost tagging")
    ask.click()
    expect(ada.locator("#support-help .help-badge")).to_contain_text("You're in the queue")
    expect(ada.locator("#support-help-status")).to_have_text("Sent. The facilitator sees your request.")
    item = panel.locator(".help-item", has_text="Ada")
    expect(item).to_be_visible(timeout=PUSH)
    expect(item.locator(".help-text")).to_have_text(
        "<script>alert('x')</script> Our group is stuck on cost tagging"
    )
    expect(item.locator(".help-wait")).to_have_text("waiting < 1 min")
    expect(panel.locator("#support-queue .count")).to_contain_text("1 waiting")
    ada.locator("#support-help").scroll_into_view_if_needed()
    screenshot(ada, "phone-help-waiting")
    element_shot(ada.locator("#support-help"), "phone-help-card-waiting")
    element_shot(panel, "dashboard-panel-waiting")

    item.get_by_role("button", name="I'm coming").click()
    expect(ada.locator("#support-help .help-badge")).to_have_text(
        "The facilitator is on the way to you.", timeout=PUSH
    )
    expect(ada.locator("#help-link")).to_have_text("Help is on the way")
    expect(item.locator(".help-wait")).to_contain_text("facilitator is on the way")
    element_shot(ada.locator("#support-help"), "phone-help-card-coming")
    item.get_by_role("button", name="Done").click()
    expect(ada.locator("#support-help .help-badge")).to_contain_text(
        "Your last request is done", timeout=PUSH
    )
    expect(panel.locator(".help-item")).to_have_count(0)
    expect(panel.locator("#support-queue .count")).to_contain_text("1 done")
    assert same_document(ada)

    # Grace asks, then cancels: the queue empties live.
    grace.fill("#support-help-message", "Can you explain FinOps tagging?")
    grace.get_by_role("button", name="Ask for help").click()
    expect(panel.locator(".help-item", has_text="Grace")).to_be_visible(timeout=PUSH)
    grace.get_by_role("button", name="Cancel my request").click()
    expect(grace.locator("#support-help-status")).to_have_text("Request cancelled.")
    expect(panel.locator(".help-item")).to_have_count(0, timeout=PUSH)

    # The last phase: the end-of-session check opens on the phones without a reload.
    dashboard.select_option("#jump-to", index=4)
    dashboard.get_by_role("button", name="Jump").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Evaluate")
    expect(ada.locator("#support-confidence h2")).to_have_text(
        "And now, how confident do you feel?", timeout=PUSH
    )
    rate(ada, {"DataOps": 4, "MLOps": 4, "FinOps": 3}, "Save my end-of-session ratings")
    expect(grace.locator("#support-confidence h2")).to_have_text(
        "And now, how confident do you feel?", timeout=PUSH
    )
    rate(grace, {"DataOps": 3, "MLOps": 3, "FinOps": 2}, "Save my end-of-session ratings")
    table = ada.locator("#support-confidence table")
    expect(ada.locator("#support-confidence h2")).to_have_text("Your confidence, before and after")
    expect(table.locator("tr", has_text="DataOps")).to_contain_text("2 4 +2")
    expect(table.locator("tr", has_text="FinOps")).to_contain_text("1 3 +2")
    expect(shift.locator(".shift-means")).to_contain_text("1.5 → 3.5 +2.0", timeout=PUSH)
    expect(panel.locator("#support-shift .shift-row", has_text="MLOps")).to_contain_text("2.5 → 3.5 +1.0")
    ada.locator("#support-confidence").scroll_into_view_if_needed()
    element_shot(ada.locator("#support-confidence"), "phone-self-assessment-after")
    assert same_document(ada) and same_document(grace)

    # The session ends; Ada writes her exit reflection afterwards.
    dashboard.on("dialog", lambda dialog: dialog.accept())
    dashboard.get_by_role("button", name="End session").click()
    expect(dashboard.locator(".ended-note")).to_be_visible()
    expect(ada.locator("#learner-phase-title")).to_have_text("Thank you for taking part", timeout=PUSH)
    # The end refetches the page's tool regions; a person writes for longer than that takes, and a refetch
    # answered after the save would show the reflection without the save's confirmation.
    ada.wait_for_load_state("networkidle")
    reflection = ada.locator("#support-reflection")
    expect(reflection).to_be_visible()
    reflection.get_by_label("First reflection learner item").fill("Silos cost us more than tooling.")
    reflection.get_by_label("First metacognition item").fill("I lean towards MLOps and overlook FinOps.")
    reflection.get_by_role("button", name="Save my reflection").click()
    expect(ada.locator("#support-reflection-status")).to_contain_text(
        "(2 of 2 answered). You can change your answers until you leave."
    )
    expect(panel.locator("#support-reflections")).to_contain_text("1 of 2 learners saved", timeout=PUSH)
    screenshot(ada, "phone-after-the-session")
    assert same_document(ada)

    # The facilitator writes theirs on its own page (the last phase opened the action plans' tab).
    open_tab(dashboard, "Coaching")
    element_shot(panel, "dashboard-panel-ended")
    screenshot(dashboard, "dashboard-ended")
    panel.get_by_role("link", name="Your reflection").click()
    expect(dashboard).to_have_url(f"{live.url}/facilitate/{code}/reflection/")
    dashboard.get_by_label("First reflection facilitator item").fill("Novices needed more time in Explore.")
    dashboard.get_by_role("button", name="Save my reflection").click()
    expect(dashboard.locator(".message.success")).to_have_text("Your reflection is saved with the session.")
    expect(dashboard.get_by_label("First reflection facilitator item")).to_have_value(
        "Novices needed more time in Explore."
    )
    screenshot(dashboard, "facilitator-reflection")
