"""The Evaluate phase in real browsers, with the bundled lesson and its real action-plan template and rubric:
four learners on phones write and submit action plans (one late, after allocation), the facilitator allocates
reviewers, reviews are written, released and read by their authors, and everyone downloads their PDF."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from lessons.models import ActionPlanField, Lesson
from tests.e2e.conftest import join as join_session
from tests.factories import make_session, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PUSH = 6000  # ms


def bundled_lesson() -> Lesson:
    call_command("import_lesson", str(ROOT / "fixtures/lessons/integration-maze.md"), verbosity=0)
    call_command("load_materials", str(ROOT / "fixtures/demo/integration-maze.json"), verbosity=0)
    return Lesson.objects.get()


def start_at_evaluate(person, live, user, code: str) -> Page:
    page = person(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.url}/facilitate/")
    page.goto(f"{live.url}/facilitate/{code}/")
    page.get_by_role("button", name="Start session").click()
    expect(page.locator("#jump-to")).to_be_visible()
    page.select_option("#jump-to", label="5. Evaluate")
    page.get_by_role("button", name="Jump").click()
    expect(page.locator("#clock-title")).to_have_text("Evaluate")
    return page


def write_plan(page: Page, name: str, keys: list[str]) -> None:
    """Type into each field, then wait until every one of them is saved. Each field autosaves on its own
    (its own 800 ms delay after the last keystroke), so typing them one after another and waiting once checks
    the same saves as waiting after each field, without a delay per field."""
    for key in keys:
        page.fill(f"#plan-{key}", f"{name}: {key} of my plan.")
    for key in keys:
        expect(page.locator(f"#plan-state-{key}")).to_have_attribute("data-state", "saved", timeout=PUSH)


def review_all(page: Page, live, code: str, name: str) -> int:
    """Write every review assigned to this learner; returns how many."""
    page.goto(f"{live.url}/s/{code}/plan/")
    links = page.locator("#evaluate-my-reviews a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto(f"{live.url}{href}")
        for fieldset in page.locator("fieldset.rubric-criterion").all():
            fieldset.locator(".rubric-option", has_text="3 ·").click()
        page.fill("#id_strengths", f"{name} likes the clear first step.")
        page.fill("#id_suggestion", f"{name} suggests a measurable milestone.")
        page.get_by_role("button", name="Submit my review").click()
        expect(page.locator(".message.success")).to_contain_text("your review is saved")
    return len(hrefs)


def pdf_text(page: Page, live, code: str) -> str:
    response = page.context.request.get(f"{live.url}/s/{code}/plan.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def join(person, live, code: str, name: str, experience: str) -> Page:
    page = join_session(person, live, code, name, experience)
    expect(page.locator("#plan-form")).to_be_visible()
    return page


def test_it_runs_action_plans_and_peer_review_from_phones_to_pdfs(live, person, screenshot):
    lesson = bundled_lesson()
    required = list(
        ActionPlanField.objects.filter(lesson=lesson, required=True).values_list("key", flat=True)
    )
    facilitator = make_user()
    code = make_session(lesson=lesson, owner=facilitator).code
    dashboard = start_at_evaluate(person, live, facilitator, code)
    panel = dashboard.locator("#evaluate-panel")
    expect(panel).to_be_visible()

    names = ["Ada", "Bo", "Cy", "Di"]
    phones = {
        name: join(person, live, code, name, "novice" if name in ("Ada", "Cy") else "experienced")
        for name in names
    }
    ada = phones["Ada"]
    # Novices get the template's prompts with examples; experienced learners the stretch prompts.
    expect(ada.locator("#plan-field-goal .plan-prompt")).to_contain_text("By the end of Q3")
    expect(phones["Bo"].locator("#plan-field-goal .plan-stretch")).to_contain_text("AI strategy")

    # A required field left empty is refused next to the field; nothing typed is lost.
    write_plan(ada, "Ada", required[:-1])
    ada.get_by_role("button", name="Submit my plan").click()
    expect(ada.locator(f"#plan-error-{required[-1]}")).to_contain_text("is required")
    expect(ada.locator(f"#plan-{required[0]}")).to_have_value(f"Ada: {required[0]} of my plan.")
    write_plan(ada, "Ada", required[-1:])
    screenshot(ada, "plan-form-390")
    ada.get_by_role("button", name="Submit my plan").click()
    expect(ada.locator(".plan-submitted")).to_contain_text("Submitted")

    for name in ("Bo", "Cy"):
        write_plan(phones[name], name, required)
        phones[name].get_by_role("button", name="Submit my plan").click()
        expect(phones[name].locator(".plan-submitted")).to_be_visible()
    expect(panel.locator(".evaluate-summary")).to_contain_text("3 of 4 plans submitted", timeout=PUSH)

    # One click: two reviewers per plan; every phone learns its plans to review without a reload.
    dashboard.select_option("#evaluate-k", "2")
    dashboard.get_by_role("button", name="Allocate reviewers").click()
    expect(panel.locator(".evaluate-summary")).to_contain_text("0 of 6 reviews done", timeout=PUSH)
    expect(phones["Di"].locator("#evaluate-my-reviews a").first).to_be_visible(timeout=PUSH)
    expect(ada.locator("button", has_text="Reopen to edit")).to_have_count(0, timeout=PUSH)

    # Di submits late and gets reviewers at once, around the reviews under way.
    write_plan(phones["Di"], "Di", required)
    phones["Di"].get_by_role("button", name="Submit my plan").click()
    expect(panel.locator(".evaluate-summary")).to_contain_text("4 of 4 plans submitted", timeout=PUSH)
    expect(panel.locator(".evaluate-summary")).to_contain_text("0 of 8 reviews done", timeout=PUSH)
    expect(panel.locator('tr[data-plan-row="Di"] .reviewer-list li')).to_have_count(2)

    # The facilitator nudges one reviewer; it shows on their phone.
    first = panel.locator(".reviewer-list li").first
    reviewer = first.get_attribute("data-review")
    first.get_by_role("button", name="Nudge").click()
    expect(phones[reviewer].locator(".nudge")).to_contain_text("finish this review", timeout=PUSH)

    screenshot_taken = False
    total = 0
    for name in names:
        total += review_all(phones[name], live, code, name)
        if not screenshot_taken:
            phones[name].goto(phones[name].url)
            screenshot(phones[name], "review-form")
            screenshot_taken = True
    assert total == 8
    expect(panel.locator(".evaluate-summary")).to_contain_text("8 of 8 reviews done", timeout=PUSH)
    screenshot(dashboard, "facilitator-panel")

    # Nobody sees reviews before release; then authors read theirs, live.
    for name in names:
        phones[name].goto(f"{live.url}/s/{code}/")
        expect(phones[name].locator("#evaluate-feedback")).to_contain_text(
            "when the facilitator releases them"
        )
    dashboard.get_by_role("button", name="Release reviews to authors").click()
    for name in names:
        feedback = phones[name].locator("#evaluate-feedback")
        expect(feedback).to_contain_text("Peer review 2", timeout=PUSH)
        expect(feedback).to_contain_text("likes the clear first step")
        expect(feedback).not_to_contain_text(f"{name} likes")  # nobody reviews their own plan

    # Each learner downloads their own PDF: their plan, their feedback, the lesson's take-home lists.
    for name in names:
        text = pdf_text(phones[name], live, code)
        assert f"{name}: goal of my plan." in text
        assert all(f"{other}: goal" not in text for other in names if other != name)
        assert "Peer review 1" in text and "suggests a measurable milestone" in text
        assert "Extension activities" in text and "integration readiness assessment" in text
    screenshot(ada, "feedback-390")

    response = dashboard.context.request.get(f"{live.url}/facilitate/{code}/plans/all.pdf")
    pages = PdfReader(io.BytesIO(response.body())).pages
    assert len(pages) >= 4
    combined = "\n".join(p.extract_text() for p in pages)
    assert all(f"{name}: goal of my plan." in combined for name in names)
