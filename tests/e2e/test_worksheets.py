"""The obstacle assessment worksheet in real browsers, on the bundled lesson and its materials: four learners
on phones (novice and experienced, four roles), the facilitator's dashboard and the projector, against a real
daphne server. Answers autosave; the room's heatmap follows without a reload; a reload keeps every answer;
two tabs of one learner meet a conflict instead of a silent overwrite; a dropped network keeps the text."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from facilitation.models import Participant, WorksheetAnswer
from lessons.models import Lesson, WorksheetItem
from tests.conftest import ARTIFACTS
from tests.e2e.conftest import join, open_tab, sign_in
from tests.factories import make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
SAVED = re.compile(r"^\W*Saved$")  # the status after a save ("✓ Saved"), not the conflict's "Saved there"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}


@pytest.fixture
def snap(request):
    """A screenshot of one element, or of what the viewport shows, under artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(target, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        target.screenshot(path=str(path))
        return path

    return take


def bundled_lesson() -> Lesson:
    call_command("import_lesson", str(FIXTURES / "lessons" / "integration-maze.md"), verbosity=0)
    call_command("load_materials", str(FIXTURES / "demo" / "integration-maze.json"), verbosity=0)
    return Lesson.objects.get()


def item_form(page: Page, prompt: str):
    return page.locator("form[data-ws-item]", has=page.locator(".ws-prompt", has_text=prompt))


def rate(page: Page, prompt: str, severity: int) -> None:
    form = item_form(page, prompt)
    form.locator(f".ws-level-{severity}").click()
    expect(form.locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)


def heat_cell(page: Page, category: str, severity: int):
    row = page.locator(
        "#ws-board .ws-view[data-view=room] tbody tr", has=page.locator("th", has_text=category)
    )
    return row.locator("td").nth(severity - 1).locator(".ws-count")


def test_a_room_fills_in_worksheets_and_the_heatmap_follows_live(live, person, snap):
    lesson = bundled_lesson()
    prompts = list(WorksheetItem.objects.filter(category__lesson=lesson).order_by("category__order", "order"))
    first, second, third = prompts[0].prompt, prompts[1].prompt, prompts[2].prompt  # organizational silos
    cost = WorksheetItem.objects.get(category__slug="cost-visibility", order=0).prompt
    facilitator = make_user()
    code = make_session(lesson=lesson, owner=facilitator).code

    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector.goto(f"{live.url}/facilitate/{code}/projector/")
    expect(projector.locator("#projector-worksheet")).to_be_hidden()

    # Two learners join during Engage: no worksheet yet. Explore opens it on their phones, without a reload.
    ada = join(person, live, code, "Ada", "novice", "data")
    grace = join(person, live, code, "Grace", "experienced", "finance")
    expect(ada.locator("#learner-worksheet")).to_be_hidden()
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore")
    for phone in (ada, grace):
        expect(phone.locator("#learner-worksheet form[data-ws-item]")).to_have_count(22, timeout=PUSH)
        expect(phone.locator("#ws-progress")).to_contain_text("0 of 22 answered")
    linus = join(person, live, code, "Linus", "novice", "ml")
    margaret = join(person, live, code, "Margaret", "experienced", "management")
    expect(linus.locator("#learner-worksheet form[data-ws-item]")).to_have_count(22)

    # Support by level: novices read examples, experienced learners the deeper prompts.
    expect(item_form(ada, first).locator(".ws-example")).to_be_visible()
    expect(item_form(ada, first).locator(".ws-deeper")).to_have_count(0)
    expect(item_form(grace, first).locator(".ws-deeper")).to_be_visible()
    expect(item_form(grace, first).locator(".ws-example")).to_have_count(0)

    # Answers autosave, and the facilitator's heatmap follows live (in the worksheet's tab).
    open_tab(dashboard, "Worksheet")
    panel = dashboard.locator("#worksheet-panel")
    expect(panel.locator(".ws-respondents")).to_have_text("0 respondents")
    rate(ada, first, 4)
    expect(panel.locator(".ws-respondents")).to_have_text("1 respondent", timeout=PUSH)
    expect(heat_cell(dashboard, "Organizational silos", 4)).to_have_text("1", timeout=PUSH)
    rate(grace, first, 5)
    rate(linus, first, 4)
    rate(margaret, first, 2)
    rate(margaret, cost, 5)
    rate(grace, cost, 5)
    item_form(linus, cost).get_by_label("Doesn't apply to us").check()
    expect(item_form(linus, cost).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    expect(panel.locator(".ws-respondents")).to_have_text("4 respondents", timeout=PUSH)
    expect(heat_cell(dashboard, "Organizational silos", 4)).to_have_text("2", timeout=PUSH)
    expect(heat_cell(dashboard, "Cost visibility", 5)).to_have_text("2", timeout=PUSH)
    expect(panel.locator(".ws-completion li", has_text="Margaret")).to_contain_text("2/22")

    # Ada works on: a severity, a comment typed (autosaved after a pause), her progress line follows.
    rate(ada, second, 3)
    rate(ada, third, 5)
    comment = item_form(ada, first).locator("textarea")
    comment.fill("Our nightly pipeline broke the churn model twice this quarter.")
    comment.press("End")  # a keyup: the comment saves after a short pause
    expect(item_form(ada, first).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    expect(ada.locator("#ws-progress")).to_contain_text("3 of 22 answered")
    ada.locator("#learner-worksheet .ws-head").scroll_into_view_if_needed()
    ada.evaluate("window.scrollBy(0, -8)")
    snap(ada, "phone-worksheet-top")
    snap(ada.locator("#learner-worksheet .ws-category").first, "phone-worksheet-category")
    snap(grace.locator("#learner-worksheet .ws-category").first, "phone-worksheet-category-experienced")

    # A reload keeps every answer.
    ada.reload()
    expect(item_form(ada, first).locator("input[name=severity][value='4']")).to_be_checked()
    expect(item_form(ada, third).locator("input[name=severity][value='5']")).to_be_checked()
    expect(item_form(ada, first).locator("textarea")).to_have_value(
        "Our nightly pipeline broke the churn model twice this quarter."
    )
    expect(ada.locator("#ws-progress")).to_contain_text("3 of 22 answered")

    # A dropped network: a clear message, the text stays, and it saves once the network is back.
    ada.context.set_offline(True)
    item_form(ada, second).locator("textarea").fill("Written on the train")
    item_form(ada, second).locator(".ws-level-4").click()
    expect(item_form(ada, second).locator(".ws-status")).to_contain_text(
        "Not saved — check your connection; your text is still here", timeout=PUSH
    )
    snap(item_form(ada, second), "phone-offline")
    ada.context.set_offline(False)
    expect(item_form(ada, second).locator(".ws-status")).to_have_text(SAVED, timeout=10_000)
    expect(item_form(ada, second).locator("textarea")).to_have_value("Written on the train")
    ada_row = WorksheetAnswer.objects.get(participant__name="Ada", item__prompt=second)
    assert (ada_row.severity, ada_row.comment) == (4, "Written on the train")

    # The facilitator looks by role and by level, and puts the room's heatmap on the projector.
    panel.get_by_role("button", name="By role").click()
    role_view = panel.locator(".ws-view[data-view=role]")
    expect(role_view).to_be_visible()
    expect(role_view.locator("thead")).to_contain_text("Finance")
    expect(panel.locator(".ws-view[data-view=room]")).to_be_hidden()
    rate(linus, second, 1)  # a push keeps the facilitator's chosen view
    expect(panel.locator(".ws-respondents")).to_have_text("4 respondents")
    expect(role_view).to_be_visible(timeout=PUSH)
    expect(role_view.locator("tbody tr", has_text="Organizational silos")).to_contain_text("(", timeout=PUSH)
    panel.get_by_role("button", name="By experience level").click()
    expect(panel.locator(".ws-view[data-view=level]")).to_contain_text("Experienced AI leaders")
    panel.get_by_role("button", name="Whole room").click()
    expect(panel.locator(".ws-view[data-view=room]")).to_be_visible()
    panel.get_by_role("button", name="Show heatmap on projector").click()
    expect(projector.locator("#projector-worksheet")).to_be_visible(timeout=PUSH)
    expect(projector.locator("#projector-worksheet .ws-projector-meta")).to_contain_text(
        "4 people have answered"
    )
    silos = projector.locator("#projector-worksheet tbody tr", has_text="Organizational silos")
    expect(silos.locator("td").nth(3).locator(".ws-count")).to_have_text("3")  # Ada twice, Linus: a 4
    rate(grace, second, 3)
    rate(margaret, third, 4)
    rate(linus, third, 4)
    expect(silos.locator("td").nth(3).locator(".ws-count")).to_have_text("5", timeout=PUSH)
    assert "Ada" not in projector.locator("#projector-worksheet").inner_html()
    snap(panel, "dashboard-heatmap")
    panel.get_by_role("button", name="By role").click()
    expect(role_view).to_be_visible()
    snap(panel, "dashboard-heatmap-by-role")
    snap(projector, "projector-heatmap")

    # Everything above happened without a reload of the learners' or the facilitator's page.
    for screen in (grace, linus, margaret):
        assert screen.evaluate("window.__sameDocument === true")


def test_two_tabs_of_one_learner_meet_a_conflict_not_a_silent_overwrite(live, person, snap):
    lesson = bundled_lesson()
    prompt = (
        WorksheetItem.objects.filter(category__lesson=lesson).order_by("category__order", "order")[0].prompt
    )
    facilitator = make_user()
    code = make_session(lesson=lesson, owner=facilitator).code
    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    dashboard.get_by_role("button", name="Next: Explore →").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explore")

    laptop = join(person, live, code, "Grace", "experienced", "finance")
    phone = laptop.context.new_page()  # a second tab of the same learner (same browser, same cookies)
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{live.url}/s/{code}/worksheet/")
    expect(item_form(phone, prompt)).to_be_visible()

    laptop.bring_to_front()
    item_form(laptop, prompt).locator("textarea").fill("Saved from the laptop")
    rate(laptop, prompt, 4)

    phone.bring_to_front()
    phone_form = item_form(phone, prompt)
    phone_form.locator("textarea").fill("Typed on the phone")
    phone_form.locator(".ws-level-2").click()
    status = phone_form.locator(".ws-status")
    expect(status).to_contain_text("Changed in another tab or device", timeout=PUSH)
    expect(status.locator(".stored")).to_contain_text("Saved from the laptop")
    expect(status.locator(".stored")).to_contain_text("4 · Serious")
    expect(status.locator(".mine")).to_contain_text("Typed on the phone")
    expect(phone_form.locator("textarea")).to_have_value("Typed on the phone")  # their text is still there
    snap(phone_form, "phone-conflict")
    answer = WorksheetAnswer.objects.get(participant__name="Grace", item__prompt=prompt)
    assert (answer.severity, answer.comment) == (4, "Saved from the laptop")
    laptop_version = answer.version

    # "Use the newer one": the phone shows what the laptop saved.
    status.get_by_role("button", name="Use the newer one").click()
    expect(item_form(phone, prompt).locator("textarea")).to_have_value("Saved from the laptop")
    expect(item_form(phone, prompt).locator("input[name=severity][value='4']")).to_be_checked()

    # Another round, and this time "Keep mine": the phone's answer replaces the laptop's, knowingly.
    laptop.bring_to_front()
    item_form(laptop, prompt).locator(".ws-level-5").click()
    expect(item_form(laptop, prompt).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    phone.bring_to_front()
    item_form(phone, prompt).locator("textarea").fill("The phone's final word")
    item_form(phone, prompt).locator(".ws-level-3").click()
    status = item_form(phone, prompt).locator(".ws-status")
    expect(status).to_contain_text("Changed in another tab or device", timeout=PUSH)
    # Leaving the comment sent it too (its change event), before or after the rating: both come back as the
    # same conflict. Choose once the last of them is shown, not on a box about to be replaced.
    phone.wait_for_function("() => !document.querySelector('.htmx-request')")
    status.get_by_role("button", name="Keep mine").click()
    expect(item_form(phone, prompt).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    answer.refresh_from_db()
    assert (answer.severity, answer.comment) == (3, "The phone's final word")
    assert answer.version > laptop_version + 1  # the laptop's second save, then the phone's
    # The phone now knows the newest version: its next change saves without a conflict.
    item_form(phone, prompt).locator(".ws-level-2").click()
    expect(item_form(phone, prompt).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    assert Participant.objects.filter(name="Grace").count() == 1


def test_two_quick_view_changes_end_on_the_last_one_whatever_order_the_answers_come_in(live, person):
    """The heatmap's view buttons ask the server (the choice is remembered per facilitator). Clicked quickly,
    the first answer may come back last: the page switches at once, and the server is told one click after the
    other, so the last click is the view shown and the view remembered."""
    lesson = bundled_lesson()
    facilitator = make_user()
    code = make_session(lesson=lesson, owner=facilitator).code
    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    open_tab(dashboard, "Worksheet")
    panel = dashboard.locator("#worksheet-panel")
    expect(panel.locator(".ws-view[data-view=room]")).to_be_visible()

    held = []
    dashboard.route("**/worksheet/?view=level", lambda route: held.append(route))
    panel.get_by_role("button", name="By experience level").click()
    panel.get_by_role("button", name="Whole room").click()
    dashboard.wait_for_timeout(500)  # the second answer, were it asked at once, would be back by now
    assert len(held) == 1
    # The held answer, then the last click's request, which was waiting for it.
    with dashboard.expect_response("**/worksheet/?view=room"):
        held[0].continue_()
    expect(panel.get_by_role("button", name="Whole room")).to_have_attribute(
        "aria-pressed", "true", timeout=PUSH
    )
    expect(panel.locator(".ws-view[data-view=room]")).to_be_visible()
    expect(panel.locator(".ws-view[data-view=level]")).to_be_hidden()
    dashboard.reload()  # and it is the view remembered
    expect(panel.locator(".ws-view[data-view=room]")).to_be_visible()
