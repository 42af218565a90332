"""The Explain phase in real browsers: the facilitator walks through slides, a poll between them and the
Wardley map from the dashboard (buttons and arrow keys) while two learners follow on phones, ask and upvote
questions, and answer the poll; the projector follows. All over a real daphne server, without reloads."""

import re

import pytest
from playwright.sync_api import Page, expect

from facilitation.models import (
    CategoryResource,
    DeckItem,
    FreeSlide,
    PreparedPoll,
    SlideDeck,
    WardleyComponent,
    WardleyDependency,
    WardleyMap,
    WorksheetAnswer,
)
from lessons.models import ObstacleCategory, WorksheetItem
from tests.e2e.conftest import join, sign_in
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
PROJECTOR = {"viewport": {"width": 1600, "height": 1000}}
POLL = "Which obstacle hurts your organization most?"


def build_deck(lesson):
    """Three slides, a poll between them, and the map: written with the ORM (nothing here pushes)."""
    silos = ObstacleCategory.objects.get(lesson=lesson, slug="silos")
    cost = ObstacleCategory.objects.get(lesson=lesson, slug="cost-visibility")
    silos.explanation = (
        "Data engineering, data science and finance report to different leaders and plan on different "
        "calendars, so the handoffs between them belong to no one."
    )
    silos.save()
    CategoryResource.objects.create(
        category=silos, title="Team Topologies", url="https://teamtopologies.com/"
    )
    CategoryResource.objects.create(
        category=silos, title="Glossary handout for newcomers", audience_key="novice"
    )
    CategoryResource.objects.create(category=silos, title="Data mesh principles", audience_key="experienced")
    free = FreeSlide.objects.create(
        lesson=lesson,
        title="Three Ops, one value stream",
        body="Each Ops works on its own. The obstacles live **between** them:\n\n- handoffs\n- shared platforms\n"
        "- shared budgets",
    )
    poll = PreparedPoll.objects.create(
        lesson=lesson, kind="single", question=POLL, options_text="Organizational silos\nCost visibility"
    )
    wardley_map = WardleyMap.objects.create(lesson=lesson, title="What an AI product stands on")
    rows = [
        ("AI-powered product", 0.95, 0.40, None),
        ("Model serving", 0.70, 0.60, None),
        ("ML platform", 0.48, 0.42, 0.66),
        ("Feature store", 0.40, 0.30, 0.52),
        ("Data pipelines", 0.24, 0.56, None),
        ("Cost showback", 0.55, 0.16, 0.40),
        ("Cloud compute", 0.09, 0.88, None),
    ]
    parts = {
        name: WardleyComponent.objects.create(
            map=wardley_map, order=i, name=name, visibility=v, evolution=e, evolves_to=m
        )
        for i, (name, v, e, m) in enumerate(rows)
    }
    for source, target in [
        ("AI-powered product", "Model serving"),
        ("AI-powered product", "Cost showback"),
        ("Model serving", "ML platform"),
        ("Model serving", "Cloud compute"),
        ("ML platform", "Feature store"),
        ("Feature store", "Data pipelines"),
        ("Data pipelines", "Cloud compute"),
        ("Cost showback", "Cloud compute"),
    ]:
        WardleyDependency.objects.create(map=wardley_map, source=parts[source], target=parts[target])
    deck = SlideDeck.objects.create(lesson=lesson)
    items = [
        {"kind": "free", "free_slide": free},
        {"kind": "category", "category": silos},
        {"kind": "poll", "prepared_poll": poll},
        {"kind": "category", "category": cost},
        {"kind": "map"},
    ]
    for order, item in enumerate(items):
        DeckItem.objects.create(deck=deck, order=order, **item)
    return silos


def slide_title(page: Page):
    return page.locator("#explain-learner-slide .explain-title")


def question(page: Page, text: str):
    return page.locator("#explain-learner-questions .question", has_text=text)


def test_it_presents_slides_a_poll_and_the_wardley_map_while_learners_follow_ask_and_upvote(
    live, person, screenshot
):
    facilitator = make_user()
    lesson = make_lesson()
    silos = build_deck(lesson)
    session = make_session(lesson=lesson, owner=facilitator)
    # Room results on the category slide come from worksheets filled in during Explore.
    item = WorksheetItem.objects.get(category=silos)
    for i, severity in enumerate([4, 5, 4, 3, 2]):
        WorksheetAnswer.objects.create(
            participant=make_participant(session=session, name=f"Earlier {i}"), item=item, severity=severity
        )
    code = session.code

    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    ada = join(person, live, code, "Ada", "novice")
    grace = join(person, live, code, "Grace", "experienced")
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector.goto(f"{live.url}/facilitate/{code}/projector/")
    for page in (ada, grace, projector):
        page.wait_for_load_state("networkidle")  # sockets open and resynced before the facilitator acts
    expect(ada.locator("#learner-explain")).to_be_hidden()

    # Jump to Explain: its tool is the presentation, so every screen shows slide 1.
    dashboard.select_option("#jump-to", label="3. Explain")
    dashboard.get_by_role("button", name="Jump", exact=True).click()
    expect(dashboard.locator("#clock-title")).to_have_text("Explain")
    panel = dashboard.locator("#explain-panel")
    expect(panel).to_contain_text("Learners and projector follow the slides", timeout=PUSH)
    for learner in (ada, grace):
        expect(slide_title(learner)).to_have_text("Three Ops, one value stream", timeout=PUSH)
        expect(learner.locator("#explain-learner-slide strong")).to_have_text("between")
    expect(projector.locator("#projector-explain-title")).to_have_text(
        "Three Ops, one value stream", timeout=PUSH
    )
    expect(projector.locator("#projector-clock .phase-name")).to_have_text("Explain", timeout=PUSH)

    # Slide 2 (a category) with the dashboard's button: explanation, domains, room results, level resources.
    panel.get_by_role("button", name="Next slide →").click()
    for learner in (ada, grace):
        expect(slide_title(learner)).to_have_text("Organizational silos", timeout=PUSH)
        expect(learner.locator("#explain-learner-slide .domain-chip")).to_have_count(3)
        expect(learner.locator("#explain-learner-slide")).to_contain_text("5 ratings, average 3.6 of 5")
    expect(ada.locator(".explain-resources")).to_contain_text("Glossary handout for newcomers")
    expect(ada.locator(".explain-resources")).not_to_contain_text("Data mesh principles")
    expect(grace.locator(".explain-resources")).to_contain_text("Data mesh principles")
    expect(grace.locator(".explain-resources")).not_to_contain_text("Glossary handout")
    expect(projector.locator("#projector-explain-title")).to_have_text("Organizational silos", timeout=PUSH)

    # Questions: anonymous by default; upvotes reorder every list live; one's own upvote shows as pressed.
    ada.fill("#explain-question-text", "Who should own the handoff between data and ML teams?")
    ada.get_by_role("button", name="Ask", exact=True).click()
    expect(ada.locator("#explain-ask-status")).to_have_text("Sent. Everyone can upvote it now.")
    expect(ada.locator("#explain-question-text")).to_have_value("")
    grace.fill("#explain-question-text", "How do we fund a shared platform team?")
    grace.check("#explain-show-name")
    grace.get_by_role("button", name="Ask", exact=True).click()
    expect(question(ada, "fund a shared platform")).to_be_visible(timeout=PUSH)
    expect(question(ada, "fund a shared platform")).to_contain_text("Grace")
    expect(question(grace, "own the handoff")).to_contain_text("Anonymous", timeout=PUSH)
    expect(dashboard.locator("#explain-questions .question")).to_have_count(2, timeout=PUSH)
    expect(dashboard.locator("#explain-questions")).not_to_contain_text("Ada")
    question(ada, "fund a shared platform").locator("[data-upvote-button]").click()
    expect(question(ada, "fund a shared platform").locator("[data-upvote-button]")).to_have_attribute(
        "aria-pressed", "true", timeout=PUSH
    )
    expect(question(grace, "fund a shared platform").locator(".upvote-count")).to_have_text("1", timeout=PUSH)
    expect(grace.locator("#explain-learner-questions .question").first).to_contain_text(
        "fund a shared platform"
    )
    expect(question(grace, "fund a shared platform").locator("[data-upvote-button]")).to_have_attribute(
        "aria-pressed", "false"
    )
    # Taking the upvote back and giving it again: still one.
    question(ada, "fund a shared platform").locator("[data-upvote-button]").click()
    expect(question(grace, "fund a shared platform").locator(".upvote-count")).to_have_text("0", timeout=PUSH)
    question(ada, "fund a shared platform").locator("[data-upvote-button]").click()
    question(grace, "own the handoff").locator("[data-upvote-button]").click()
    expect(question(ada, "own the handoff").locator(".upvote-count")).to_have_text("1", timeout=PUSH)
    # One's own question says so and offers no upvote (the server refuses one: tests/facilitation).
    for page, own in ((ada, "own the handoff"), (grace, "fund a shared platform")):
        expect(question(page, own).locator(".own-question")).to_have_text("Your question")
        expect(question(page, own).locator("[data-upvote-button]")).to_be_disabled()
    expect(question(ada, "fund a shared platform").locator(".own-question")).to_have_count(0)
    expect(question(ada, "fund a shared platform").locator("[data-upvote-button]")).to_be_enabled()
    ada.set_viewport_size({"width": 390, "height": 844})
    screenshot(ada, "learner-slide-390")

    # The poll between slides, reached with the projector's arrow key: it opens on every screen.
    projector.locator("body").press("ArrowRight")
    for learner in (ada, grace):
        expect(slide_title(learner)).to_have_text(POLL, timeout=PUSH)
        expect(learner.locator(".poll-learner h2")).to_have_text(POLL, timeout=PUSH)
    ada.get_by_label("Cost visibility").check()
    ada.get_by_role("button", name="Send answer").click()
    expect(ada.locator(".poll-saved")).to_be_visible()
    grace.get_by_label("Organizational silos").check()
    grace.get_by_role("button", name="Send answer").click()
    expect(grace.locator(".poll-saved")).to_be_visible()
    expect(dashboard.locator(".poll-card", has_text=POLL).locator(".poll-total")).to_contain_text(
        "2 answers", timeout=PUSH
    )

    # Slide 4 with the dashboard's arrow key; the projector follows.
    dashboard.locator("body").press("ArrowRight")
    expect(projector.locator("#projector-explain-title")).to_have_text("Cost visibility", timeout=PUSH)
    expect(slide_title(grace)).to_have_text("Cost visibility", timeout=PUSH)
    screenshot(projector, "projector-slide")

    # The Wardley map: drawn on the projector and on phones; the facilitator highlights one component.
    panel.get_by_role("button", name="Next slide →").click()
    expect(projector.locator("#projector-explain-slide svg.wardley-svg")).to_be_visible(timeout=PUSH)
    expect(ada.locator("#explain-learner-slide svg.wardley-svg")).to_be_visible(timeout=PUSH)
    expect(panel.get_by_role("button", name="Next slide →")).to_be_disabled()
    panel.locator("#explain-highlight").select_option(label="ML platform")
    panel.get_by_role("button", name="Highlight").click()
    for screen in (projector, ada, grace):
        expect(screen.locator('.component.is-highlighted[data-component="ML platform"]')).to_have_count(
            1, timeout=PUSH
        )
    expect(ada.locator(".wardley-highlight")).to_contain_text("ML platform")
    frame = ada.locator("#explain-learner-slide .wardley-frame")
    assert frame.evaluate(
        "f => f.scrollWidth > f.clientWidth && f.scrollLeft > 0"
    )  # scrolled to the highlight
    assert (
        ada.evaluate("document.documentElement.scrollWidth") <= 390
    )  # the page itself never scrolls sideways
    ada.locator(".wardley-text summary").click()
    expect(ada.locator(".wardley-text")).to_contain_text("Model serving depends on ML platform")

    # Pin the top question to the projector, mark the other answered.
    staff_question = dashboard.locator("#explain-questions .question", has_text="own the handoff")
    staff_question.get_by_role("button", name="Pin to projector").click()
    expect(projector.locator(".pinned-text")).to_have_text(
        "Who should own the handoff between data and ML teams?", timeout=PUSH
    )
    dashboard.locator("#explain-questions .question", has_text="fund a shared").get_by_role(
        "button", name="Mark answered"
    ).click()
    expect(question(grace, "fund a shared platform")).to_contain_text("Answered", timeout=PUSH)
    expect(question(ada, "own the handoff")).to_contain_text("On the projector")
    screenshot(projector, "projector-wardley")
    screenshot(ada, "learner-wardley-390")
    screenshot(dashboard, "dashboard")

    # Learners cannot move slides: their pages have no slide buttons and arrow keys do nothing.
    ada.locator("body").press("ArrowLeft")
    expect(slide_title(grace)).to_have_text(re.compile("What an AI product stands on"))
    for page in (ada, grace):
        assert page.evaluate("window.__sameDocument === true")
