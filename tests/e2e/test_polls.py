"""Polls in real browsers: the facilitator opens a poll from the dashboard, learners on their own devices
answer, results are revealed on the projector and learner pages, the poll closes; and a live word cloud.

Everything after the data setup goes through the UI: pushes start in the server process, where views run."""

import pytest
from playwright.sync_api import Page, expect

from facilitation.models import Poll, PollAnswer, PreparedPoll
from tests.e2e.conftest import in_thread, open_tab, same_document, sign_in
from tests.e2e.conftest import join as join_session
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.browser

PUSH = 5000  # ms
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
SAVED = "Answer saved — you can change it until the poll closes."


def join(person, live, code: str, *, name: str, experience: str, **options) -> Page:
    page = join_session(person, live, code, name, experience, device=options)
    expect(page.locator(".learner-header .who")).to_have_text(name)
    return page


@pytest.fixture
def room(live, person):
    """A session with a prepared poll, started from its dashboard; the projector; two learners."""
    lesson = make_lesson()
    PreparedPoll.objects.create(
        lesson=lesson,
        phase=lesson.phases.get(name="Engage"),
        kind="single",
        question="Which obstacle hurts your organization most?",
        options_text="Organizational silos\nCost visibility\nTooling fragmentation",
    )
    facilitator = make_user()
    session = make_session(lesson=lesson, owner=facilitator)
    dashboard = sign_in(person, live, facilitator)
    dashboard.goto(f"{live.url}/facilitate/{session.code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage")
    projector = person(
        storage_state=dashboard.context.storage_state(), viewport={"width": 1600, "height": 900}
    )
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    ada = join(person, live, session.code, name="Ada", experience="novice", **PHONE)
    grace = join(person, live, session.code, name="Grace", experience="experienced")
    expect(dashboard.locator("#participants .count")).to_have_text("2 online · 2 joined", timeout=PUSH)
    open_tab(dashboard, "Polls")
    return session, dashboard, projector, ada, grace


def test_it_runs_a_poll_from_open_to_reveal_to_close(room, screenshot):
    session, dashboard, projector, ada, grace = room
    question = "Which obstacle hurts your organization most?"

    # The facilitator opens the prepared poll: it appears on every learner page and on the projector.
    prepared = dashboard.locator(".poll-prepared li", has_text=question)
    expect(prepared.get_by_text("this phase")).to_be_visible()
    prepared.get_by_role("button", name="Open now").click()
    card = dashboard.locator(".poll-card", has_text=question)
    expect(card.locator(".poll-status")).to_have_text("Open")
    for learner in (ada, grace):
        expect(learner.locator(".poll-learner h2")).to_have_text(question, timeout=PUSH)
    expect(projector.locator(".projector-poll h2")).to_have_text(question, timeout=PUSH)
    expect(projector.locator(".projector-options li")).to_have_count(3)
    screenshot(ada, "phone-poll-open")

    # Both answer; Ada changes her mind. Results stay hidden from learners and the projector.
    ada.get_by_label("Organizational silos").check()
    ada.get_by_role("button", name="Send answer").click()
    expect(ada.locator(".poll-saved")).to_have_text(f"✓ {SAVED}")
    grace.get_by_label("Cost visibility").check()
    grace.get_by_role("button", name="Send answer").click()
    expect(grace.locator(".poll-saved")).to_be_visible()
    ada.get_by_label("Tooling fragmentation").check()
    ada.get_by_role("button", name="Change my answer").click()
    expect(ada.locator(".poll-saved")).to_be_visible()
    expect(card.locator(".poll-total")).to_contain_text("2 answers", timeout=PUSH)
    expect(card.locator(".poll-bar", has_text="Tooling fragmentation")).to_contain_text("1 · 50%")
    expect(card.locator(".poll-bar", has_text="Organizational silos")).to_contain_text("0 · 0%")
    expect(projector.locator(".projector-poll-count")).to_contain_text("2 answers so far", timeout=PUSH)
    expect(ada.locator(".poll-bars")).to_have_count(0)
    assert PollAnswer.objects.count() == 2
    screenshot(ada, "phone-answer-saved")
    screenshot(dashboard, "dashboard-poll-answers")

    # Reveal: the projector and both learners see the bars; Ada's own choice survives the push.
    card.get_by_role("button", name="Reveal results").click()
    bars = projector.locator(".projector-poll .poll-bar")
    expect(bars.filter(has_text="Cost visibility")).to_contain_text("1 · 50%", timeout=PUSH)
    for learner in (ada, grace):
        expect(learner.locator(".poll-bar", has_text="Tooling fragmentation")).to_contain_text(
            "1 · 50%", timeout=PUSH
        )
        assert same_document(learner)
    expect(ada.get_by_label("Tooling fragmentation")).to_be_checked()
    expect(ada.locator(".poll-saved")).to_be_visible()
    screenshot(projector, "projector-results")
    screenshot(ada, "phone-results")

    # Close: learners are told, and a late answer is refused.
    card.get_by_role("button", name="Close poll").click()
    expect(card.locator(".poll-status")).to_have_text("Closed")
    for learner in (ada, grace):
        expect(learner.locator(".poll-closed")).to_contain_text("This poll is closed.", timeout=PUSH)
        expect(learner.locator(".poll-learner input")).to_have_count(0)
    expect(projector.locator(".projector-poll .eyebrow")).to_contain_text("closed", timeout=PUSH)
    # Each learner still sees their own answer (pushed to them alone), and after a reload.
    expect(ada.locator(".poll-mine")).to_contain_text("Your answer: Tooling fragmentation", timeout=PUSH)
    ada.reload()
    expect(ada.locator(".poll-mine")).to_contain_text("Your answer: Tooling fragmentation")
    screenshot(dashboard, "dashboard-poll-closed")


def test_it_grows_a_live_word_cloud(room, screenshot):
    session, dashboard, projector, ada, grace = room

    # An ad hoc poll written on the dashboard, with results shown live.
    form = dashboard.locator("#poll-form")
    form.get_by_label("Type").select_option("words")
    expect(form.locator(".for-options")).to_be_hidden()
    form.get_by_label("Question").fill("One word for your biggest integration blocker <script>")
    form.get_by_label("Show results live").check()
    form.get_by_role("button", name="Open now").click()
    expect(form.get_by_label("Question")).to_have_value("")
    for learner in (ada, grace):
        expect(learner.locator(".poll-learner h2")).to_contain_text("<script>", timeout=PUSH)

    for learner, word in ((ada, "Silos"), (grace, "silos!")):
        learner.get_by_label("A word or two").fill(word)
        learner.get_by_role("button", name="Send answer").click()
        expect(learner.locator(".poll-saved")).to_be_visible()
    ada.get_by_label("A word or two").fill("Budget")
    ada.get_by_role("button", name="Change my answer").click()
    grace.get_by_label("A word or two").fill("Budget")
    grace.get_by_role("button", name="Change my answer").click()

    cloud = projector.locator(".projector-poll .word-cloud li")
    expect(cloud).to_have_count(1, timeout=PUSH)
    expect(cloud.first).to_have_text("Budget 2")
    expect(ada.locator(".word-cloud li").first).to_have_text("Budget 2", timeout=PUSH)
    expect(grace.get_by_label("A word or two")).to_have_value("Budget")

    # A third answer in the form, another word: the cloud sizes words by frequency.
    grace.get_by_label("A word or two").fill("Ownership")
    grace.get_by_role("button", name="Change my answer").click()
    expect(cloud).to_have_count(2, timeout=PUSH)
    screenshot(projector, "projector-word-cloud")
    screenshot(ada, "phone-word-cloud")
    screenshot(dashboard, "dashboard-word-cloud")


@pytest.mark.parametrize("viewport", [(1600, 900), (1280, 720), (1920, 1080)])
def test_it_shows_each_rating_count_beside_its_own_value_on_the_projector(live, person, screenshot, viewport):
    """A revealed rating scale on the projector, read as a person at the back of the room reads it: each count
    stands in the column of the value it counts, the whole poll fits the screen, and the bars and figures are
    big. The scale starts at 0 and has values nobody chose."""
    lesson = make_lesson()
    facilitator = make_user()
    session = in_thread(make_session, lesson=lesson, owner=facilitator, started=True)
    poll = Poll.objects.create(
        session=session,
        number=1,
        kind="scale",
        question="How ready is your team to integrate?",
        scale_min=0,
        scale_max=6,
        scale_min_label="Not at all",
        scale_max_label="Completely",
        status="closed",
        revealed=True,
        on_screen=True,
    )
    ratings = [0, 2, 2, 2, 2, 2, 5, 5, 6]
    for index, rating in enumerate(ratings):
        PollAnswer.objects.create(
            poll=poll, participant=make_participant(session=session, name=f"L{index}"), rating=rating
        )
    width, height = viewport
    dashboard = sign_in(person, live, facilitator)
    projector = person(
        storage_state=dashboard.context.storage_state(), viewport={"width": width, "height": height}
    )
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    columns = projector.locator(".projector-poll .poll-column")
    expect(columns).to_have_count(7)
    screenshot(projector, f"projector-scale-{width}x{height}")
    expect(columns.locator(".poll-column-value")).to_have_text([str(v) for v in range(7)])
    expect(columns.locator(".poll-column-count")).to_have_text([str(ratings.count(v)) for v in range(7)])
    # Measured in one go: a resync may swap the region in between two separate reads.
    layout = projector.evaluate(GEOMETRY)
    for column in layout["columns"]:
        # The count stands straight above its own value, inside that value's column, at least 28 px high.
        assert (
            column["box"]["left"] <= column["count"]["left"]
            and column["count"]["right"] <= column["box"]["right"]
        )
        assert abs(column["count"]["centre"] - column["value"]["centre"]) < 2
        assert column["count"]["bottom"] < column["value"]["top"]
        assert column["count"]["height"] >= 28
    # The whole poll is on the screen (a projector does not scroll), and the tallest bar is a fifth of it.
    assert 0 <= layout["card"]["top"] and layout["card"]["bottom"] <= height
    assert max(column["fill"]["height"] for column in layout["columns"]) >= height / 5
    if viewport == (1600, 900):  # the same drawing on the dashboard and on a small phone
        dashboard.set_viewport_size({"width": 1366, "height": 768})
        dashboard.goto(f"{live.url}/facilitate/{session.code}/")
        expect(dashboard.locator(".poll-column-count")).to_have_count(7)
        screenshot(dashboard, "dashboard-scale")
        phone = join_session(
            person, live, session.code, "Ada", device={"viewport": {"width": 360, "height": 740}}
        )
        expect(phone.locator(".poll-column-count")).to_have_text([str(ratings.count(v)) for v in range(7)])
        screenshot(phone, "phone-scale")


GEOMETRY = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height, centre: r.left + r.width / 2};
  };
  const card = document.querySelector(".projector-poll");
  return {
    card: box(card),
    columns: [...card.querySelectorAll(".poll-column")].map((column) => ({
      box: box(column),
      value: box(column.querySelector(".poll-column-value")),
      count: box(column.querySelector(".poll-column-count")),
      fill: box(column.querySelector(".poll-column-fill")),
    })),
  };
}"""


@pytest.mark.parametrize("viewport", [(1600, 900), (1280, 720), (1920, 1080)])
def test_it_fits_a_poll_of_eight_options_on_the_projector_with_each_count_on_its_options_line(
    live, person, screenshot, viewport
):
    options = [f"Obstacle {n}: no shared language or owner" for n in range(1, 9)]  # 40 characters
    facilitator = make_user()
    session = in_thread(make_session, lesson=make_lesson(), owner=facilitator, started=True)
    poll = Poll.objects.create(
        session=session,
        number=1,
        kind="single",
        question="Which obstacle category hurts your organization most today?",
        options_text="\n".join(options),
        status="closed",
        revealed=True,
        on_screen=True,
    )
    for index in range(11):
        learner = make_participant(session=session, name=f"L{index}")
        PollAnswer.objects.create(poll=poll, participant=learner, choices=[index % 3 * 3])
    dashboard = sign_in(person, live, facilitator)
    width, height = viewport
    projector = person(
        storage_state=dashboard.context.storage_state(), viewport={"width": width, "height": height}
    )
    projector.goto(f"{live.url}/facilitate/{session.code}/projector/")
    expect(projector.locator(".projector-poll .poll-bar")).to_have_count(8)
    screenshot(projector, f"projector-eight-options-{width}x{height}")
    rows = projector.evaluate(
        """() => [...document.querySelectorAll('.projector-poll .poll-bar')].map(bar => {
          const label = bar.querySelector('.poll-bar-label').getBoundingClientRect();
          const figures = bar.querySelector('.poll-bar-figures').getBoundingClientRect();
          return {label: bar.querySelector('.poll-bar-label').textContent.trim(),
                  figures: bar.querySelector('.poll-bar-figures').textContent.trim(),
                  same_line: figures.top < label.bottom && label.top < figures.bottom,
                  bottom: bar.getBoundingClientRect().bottom};
        })"""
    )
    counts = [sum(1 for i in range(11) if i % 3 * 3 == n) for n in range(8)]
    assert [(r["label"], r["figures"].split(" · ")[0]) for r in rows] == list(
        zip(options, map(str, counts), strict=True)
    )
    assert all(r["same_line"] for r in rows)
    assert max(r["bottom"] for r in rows) <= height
