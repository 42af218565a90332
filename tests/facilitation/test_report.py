import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from facilitation import retention
from facilitation.models import Note, Participant, PollAnswer, RetentionLog, Vote, WorksheetAnswer
from tests.factories import make_lesson, make_user, play_workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(owner):
    return play_workshop(learners=30, owner=owner)


def test_it_reports_every_part_of_the_workshop(client, session, owner):
    client.force_login(owner)
    body = client.get(reverse("facilitation:report", args=[session.code])).content.decode()
    assert "Planned vs actual time" in body
    assert "(+8:00)" in body  # Engage ran over
    assert "<strong>30</strong> learners joined" in body
    assert "Silos" in body and "Obstacle noted by Learner" in body
    assert "Which hurts most?" in body and "silos (10)" in body
    assert "Organizational silos" in body  # the worksheet heatmap
    assert "poll-answers.csv" in body
    assert "Evidence found by Group 1" in body and "Strategy of Group 3" in body
    assert "Group 2 debated well" in body
    assert "plans submitted" in body and "reviews written <strong>22</strong> of 22" in body
    assert "on average answered after 3.0 min" in body
    assert "Learner 1:</span> Reflection of Learner 0" in body  # anonymised by default
    assert "Learner 5:</span>" in body and "Reflection of Learner 4" in body
    named = client.get(reverse("facilitation:report", args=[session.code]) + "?names=1").content.decode()
    assert "Learner 0:</span> Reflection of Learner 0" in named


def test_it_renders_the_report_with_a_number_of_queries_independent_of_learners(
    client, owner, django_assert_max_num_queries
):
    small = play_workshop(learners=5, owner=owner)
    large = play_workshop(learners=30, owner=owner)
    client.force_login(owner)
    counts = []
    for session in (small, large):
        with django_assert_max_num_queries(60) as captured:
            assert client.get(reverse("facilitation:report", args=[session.code])).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_it_prints_the_report_as_a_pdf(client, session, owner):
    client.force_login(owner)
    response = client.get(reverse("facilitation:report_pdf", args=[session.code]))
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert session.display_title.split()[0] in text
    assert "Planned vs actual time" in text and "Which hurts most?" in text


@pytest.mark.parametrize("learners", [8, 30])
def test_the_pdf_holds_every_section_down_to_the_last(client, owner, learners):
    """WeasyPrint dropped the screen layout's grid items that continued on a later page (8 learners: everything
    after the groups was missing)."""
    session = play_workshop(learners=learners, owner=owner)
    client.force_login(owner)
    response = client.get(reverse("facilitation:report_pdf", args=[session.code]))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for heading in ("Questions (Q&A)", "Action plans and peer review", "Coaching and self-assessment"):
        assert heading in text
    assert "Reflection of Learner 4" in text and "Generated" in text


def test_it_lays_the_report_pdf_out_without_css_grids(session):
    """WeasyPrint lays out a grid again for every page it reaches, sizing its tracks from their content: the
    screen's grids made the report of a full room take 8 s to print. On paper it is blocks and tables (the
    bundled lesson with 30 learners now prints in ~0.6 s; see the README)."""
    import weasyprint
    from weasyprint.formatting_structure.boxes import FlexContainerBox, GridContainerBox

    from facilitation.report import build_report
    from lessons.pdf import static_only_fetcher

    html = render_to_string("facilitation/report_pdf.html", build_report(session))
    document = weasyprint.HTML(string=html, base_url="http://testserver/", url_fetcher=static_only_fetcher())
    pages = document.render().pages
    boxes = [box for page in pages for box in page._page_box.descendants()]
    assert len(pages) > 1 and any("Planned vs actual time" in getattr(box, "text", "") for box in boxes)
    slow = {type(box).__name__ for box in boxes if isinstance(box, GridContainerBox | FlexContainerBox)}
    assert slow == set()


@pytest.mark.parametrize(
    "dataset", ["timings", "participants", "notes", "votes", "poll-answers", "worksheet-answers"]
)
def test_it_exports_each_dataset_as_csv(client, session, owner, dataset):
    client.force_login(owner)
    response = client.get(reverse("facilitation:report_csv", args=[session.code, dataset]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert len(lines) > 2


def test_it_keeps_formulas_out_of_spreadsheets(client, session, owner):
    Note.objects.create(session=session, text='=HYPERLINK("http://evil.example","x")')
    Note.objects.create(session=session, text="@SUM(A1)")
    client.force_login(owner)
    body = client.get(reverse("facilitation:report_csv", args=[session.code, "notes"])).content.decode()
    assert "'=HYPERLINK" in body and "'@SUM(A1)" in body
    assert ",=HYPERLINK" not in body


def test_it_shows_the_report_only_to_the_sessions_facilitators(client, session, owner):
    for name in ("report", "report_pdf", "learner_data"):
        url = reverse(f"facilitation:{name}", args=[session.code])
        client.force_login(make_user(username=f"outsider-{name}"))
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(reverse("facilitation:report", args=[session.code])).status_code == 302
    assert client.get(reverse("facilitation:report_csv", args=[session.code, "notes"])).status_code == 302


def test_it_refuses_an_unknown_dataset(client, session, owner):
    client.force_login(owner)
    assert client.get(reverse("facilitation:report_csv", args=[session.code, "passwords"])).status_code == 404


def test_it_deletes_learner_data_and_nothing_else(client, session, owner):
    other = play_workshop(learners=4, owner=owner)
    client.force_login(owner)
    url = reverse("facilitation:learner_data", args=[session.code])
    response = client.post(url, {"action": "delete", "confirm": "WRONG"})
    assert response.status_code == 400 and "to confirm" in response.content.decode()
    assert session.participants.count() == 30
    client.post(url, {"action": "delete", "confirm": session.code.lower()})
    assert not Participant.objects.filter(session=session).exists()
    assert not Vote.objects.filter(note__session=session).exists()
    assert not PollAnswer.objects.filter(poll__session=session).exists()
    assert not WorksheetAnswer.objects.filter(participant__session=session).exists()
    assert session.segments.exists()  # the timing stays
    assert other.participants.count() == 4 and PollAnswer.objects.filter(poll__session=other).count() == 8
    log = RetentionLog.objects.get(session=session)
    assert log.action == "delete" and log.participants == 30 and log.by == owner


def test_it_anonymises_names_and_keeps_content(client, session, owner):
    client.force_login(owner)
    client.post(
        reverse("facilitation:learner_data", args=[session.code]),
        {"action": "anonymise", "confirm": session.code},
    )
    names = set(session.participants.values_list("name", flat=True))
    assert names == {f"Learner {n}" for n in range(1, 31)}
    assert Note.objects.filter(session=session).count() == 10
    assert RetentionLog.objects.get(session=session).action == "anonymise"


def test_it_purges_learner_data_after_the_retention_period(session, settings):
    recent = play_workshop(learners=3, start=timezone.now() - timedelta(hours=4))
    session.ended_at = timezone.now() - timedelta(days=40)
    session.save(update_fields=["ended_at"])
    settings.RETENTION_DAYS = 30
    out = io.StringIO()
    call_command("purge_sessions", stdout=out)
    assert "1 session(s) purged" in out.getvalue()
    assert not session.participants.exists()
    assert recent.participants.count() == 3
    assert RetentionLog.objects.get(session=session).automatic
    assert retention.expired_sessions().count() == 0


def test_it_keeps_everything_when_retention_is_off(session, settings):
    settings.RETENTION_DAYS = 0
    out = io.StringIO()
    call_command("purge_sessions", stdout=out)
    assert "Retention is off" in out.getvalue()
    assert session.participants.count() == 30


def test_it_shows_the_lessons_timing_across_sessions(client):
    lesson = make_lesson()
    author = make_user(username="author")
    play_workshop(learners=2, lesson=lesson, owner=author)
    play_workshop(learners=2, lesson=lesson, owner=author)
    client.force_login(author)
    body = client.get(reverse("facilitation:lesson_timing", args=[lesson.slug])).content.decode()
    assert "2 sessions ran this lesson" in body
    assert "Engage ran 8.0 min over in 2 of 2 sessions" in body
    client.force_login(make_user(username="learnerish", staff=False))
    assert client.get(reverse("facilitation:lesson_timing", args=[lesson.slug])).status_code == 302


def _questions(session):
    """Four questions with ten upvotes: one pinned on a poll slide, one answered on a category slide, one
    asked with no slide showing, one hidden by the facilitator."""
    from facilitation.models import Question, QuestionVote
    from lessons.models import ObstacleCategory

    people = list(session.participants.order_by("id"))  # "Learner 0", "Learner 1" …
    category = ObstacleCategory.objects.filter(lesson=session.lesson).first()
    asked = [
        Question.objects.create(
            session=session,
            participant=people[0],
            text="Does the poll count late joiners?",
            pinned=True,
            slide_key="poll-99",
            slide_title="Which hurts most?",
        ),
        Question.objects.create(
            session=session,
            participant=people[1],
            text="=1+1 who owns the budget?",
            answered=True,
            anonymous=False,
            slide_key=f"category-{category.pk}",
            slide_title=category.name,
            category=category,
        ),
        Question.objects.create(session=session, participant=people[2], text="Where are the slides?"),
        Question.objects.create(session=session, participant=people[3], text="Off topic", hidden=True),
    ]
    for question, voters in zip(asked, (people[4:9], people[4:7], people[4:6], []), strict=True):
        for person in voters:
            QuestionVote.objects.create(question=question, participant=person)
    return asked, category


def test_it_reports_every_question_by_the_slide_it_was_asked_on(client, session, owner):
    _, category = _questions(session)
    client.force_login(owner)
    body = client.get(reverse("facilitation:report", args=[session.code])).content.decode()
    assert "4 questions, 10 upvotes" in body
    assert "No questions were asked" not in body
    poll_slide = body.index("Which hurts most? <span")
    assert 'Does the poll count late joiners? <span class="muted">(▲ 5 · pinned)' in body[poll_slide:]
    assert f'{category.name} <span class="muted small">obstacle category</span>' in body
    assert '=1+1 who owns the budget? <span class="muted">(▲ 3 · answered)' in body
    not_on_a_slide = body.index("Not on a slide")
    assert body.index("Where are the slides?") > not_on_a_slide
    assert 'Off topic <span class="muted">(▲ 0 · hidden by the facilitator)' in body
    assert "Learner 1)" not in body  # names only when asked for, and only of learners who showed theirs
    named = client.get(reverse("facilitation:report", args=[session.code]) + "?names=1").content.decode()
    assert "answered · Learner 1)" in named and "pinned · Learner 0)" not in named
    pdf = client.get(reverse("facilitation:report_pdf", args=[session.code])).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Does the poll count late joiners?" in text and "Not on a slide" in text


def test_it_exports_questions_annotations_group_fields_and_self_assessment(client, session, owner):
    import csv

    from facilitation.models import Annotation, BreakoutGroup, GroupField

    _questions(session)
    group = BreakoutGroup.objects.filter(grouping__session=session).order_by("number").first()
    editor = group.members.first().participant
    GroupField.objects.filter(group=group, key="evidence").update(version=3, updated_by=editor)
    GroupField.objects.create(group=group, key="owners", value="data,finance", version=1)
    Annotation.objects.create(group=group, participant=editor, quote="+stale tables", comment="Root cause")
    client.force_login(owner)

    def rows(name):
        response = client.get(reverse("facilitation:report_csv", args=[session.code, name]))
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    questions = rows("questions")
    by_text = {q["text"]: q for q in questions}
    assert set(by_text) == {
        "Does the poll count late joiners?",
        "'=1+1 who owns the budget?",  # formula-safe
        "Where are the slides?",
        "Off topic",
    }
    pinned = by_text["Does the poll count late joiners?"]
    assert (pinned["slide"], pinned["slide_kind"], pinned["pinned"], pinned["upvotes"], pinned["author"]) == (
        "Which hurts most?",
        "poll",
        "yes",
        "5",
        "",  # anonymous
    )
    answered = by_text["'=1+1 who owns the budget?"]
    assert (answered["author"], answered["answered"], answered["upvotes"]) == ("Learner 1", "yes", "3")
    assert answered["category"] == answered["slide"] != ""
    assert by_text["Where are the slides?"]["slide"] == "Not on a slide"
    assert by_text["Off topic"]["hidden"] == "yes"
    fields = rows("group-fields")
    evidence = next(f for f in fields if f["group"] == group.name and f["field"] == "evidence")
    assert evidence["value"] == f"Evidence found by {group.name}" and evidence["version"] == "3"
    assert evidence["last_editor"] == editor.display_name and evidence["label"] == "Evidence from the case"
    assert next(f for f in fields if f["field"] == "owners")["value"] == "Data, Finance"
    annotation = rows("annotations")[0]
    assert annotation["quote"] == "'+stale tables" and annotation["author"] == editor.display_name
    ratings = rows("self-assessment")
    assert len(ratings) == 2 * 30 * session.lesson.domains.count()
    assert {r["moment"] for r in ratings} == {"before", "after"}


def test_it_leaves_skipped_phases_out_of_the_timing_across_sessions():
    """A session that clicked through Explore in 3 seconds says nothing about how long Explore takes."""
    from facilitation import control
    from facilitation.report import lesson_timing
    from tests.factories import make_session

    lesson = make_lesson()
    play_workshop(learners=2, lesson=lesson)
    t0 = timezone.now() - timedelta(hours=1)
    hurried = control.start(make_session(lesson=lesson), now=t0)
    control.go_to(hurried, 1, now=t0 + timedelta(minutes=30))
    control.go_to(hurried, 2, now=t0 + timedelta(minutes=30, seconds=3))
    control.end(hurried, now=t0 + timedelta(minutes=75))
    rows = {row.name: row for row in lesson_timing(lesson)["rows"]}
    assert (rows["Engage"].sessions, rows["Explore"].sessions, rows["Explain"].sessions) == (2, 1, 2)
    assert rows["Explore"].mean_actual == 45.0
    assert "Elaborate" in rows and rows["Elaborate"].sessions == 1
