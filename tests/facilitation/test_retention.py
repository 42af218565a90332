"""Deleting and anonymising learner data: every table, every text, the report, the CSVs, the PDF."""

import io
from html import escape

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from pypdf import PdfReader

from facilitation import retention
from facilitation.joining import SESSION_KEY
from facilitation.models import (
    Annotation,
    FacilitatorReflection,
    GroupField,
    GroupMember,
    GroupMessage,
    Note,
    Observation,
    Participant,
    Poll,
    Question,
    QuestionVote,
)
from facilitation.report import dataset_names
from lessons.models import ItemKind
from tests.factories import make_user, play_workshop

pytestmark = pytest.mark.django_db

SOFIA = "Sofia Marquez"
TOMASZ = "Tomasz"
# Text only learners wrote, or that only names them: none of it may survive a deletion.
LEARNER_TEXTS = (
    SOFIA,
    TOMASZ,
    "Obstacle noted by Learner",
    "Evidence found by",
    "Strategy of Group",
    "debated well",
    "Reflection of Learner",
    "Help 1",
    "Clear first steps",
    "QUESTION-TEXT",
    "ANNOTATION-QUOTE",
    "ANNOTATION-COMMENT",
    "GROUP-WALL-NOTE",
    "MESSAGE-TO-GROUP",
    "trust",
)


@pytest.fixture
def owner():
    return make_user(username="owner")


def every_trace(session):
    """play_workshop plus what it does not write: Q&A and upvotes, annotations, a group wall note, a group
    message, observations naming a learner, and kept facilitator texts that name one."""
    people = list(session.participants.order_by("joined_at", "id"))
    Participant.objects.filter(pk=people[0].pk).update(name=SOFIA)
    Participant.objects.filter(pk=people[1].pk).update(name=TOMASZ)
    group = GroupMember.objects.filter(participant=people[0]).select_related("group").first().group
    GroupField.objects.filter(group=group, key="evidence").update(
        value=f"{SOFIA} found the evidence", updated_by=people[0]
    )
    pinned = Question.objects.create(
        session=session,
        participant=people[0],
        text="QUESTION-TEXT pinned",
        anonymous=False,
        pinned=True,
        slide_key="poll-1",
        slide_title="Which hurts most?",
    )
    Question.objects.create(
        session=session, participant=people[1], text="QUESTION-TEXT answered", answered=True
    )
    for person in people[2:5]:
        QuestionVote.objects.create(question=pinned, participant=person)
    Annotation.objects.create(
        group=group, participant=people[0], quote="ANNOTATION-QUOTE", comment="ANNOTATION-COMMENT"
    )
    Note.objects.create(
        session=session, participant=people[0], group_key=f"group-{group.pk}", text="GROUP-WALL-NOTE"
    )
    GroupMessage.objects.create(session=session, group=group, text="MESSAGE-TO-GROUP")
    Observation.objects.create(session=session, participant=people[0], text=f"{SOFIA} drove the analysis")
    Poll.objects.create(
        session=session, number=3, kind="open", question=f"What did {TOMASZ} mean?", status="closed"
    )
    item = session.lesson.items.filter(kind=ItemKind.REFLECTION_FACILITATOR).first()
    if item:
        FacilitatorReflection.objects.create(session=session, item=item, text=f"{SOFIA} was quiet at first")
    return people


def every_text_in_the_database(session) -> str:
    """Every text and JSON value of every row of every model of the app (lessons' authoring aside, which holds
    no learner data), one string to search."""
    chunks = []
    for model in apps.get_app_config("facilitation").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            for values in model.objects.values_list(*fields):
                chunks.extend(str(v) for v in values)
    return "\n".join(chunks)


def report_texts(client, session) -> dict[str, str]:
    texts = {
        "report": client.get(
            reverse("facilitation:report", args=[session.code]) + "?names=1"
        ).content.decode()
    }
    for name in dataset_names():
        response = client.get(reverse("facilitation:report_csv", args=[session.code, name]))
        assert response.status_code == 200, name
        texts[f"{name}.csv"] = response.content.decode()
    pdf = client.get(reverse("facilitation:report_pdf", args=[session.code])).content
    texts["report.pdf"] = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return texts


def test_it_classifies_every_model_of_the_app_as_learner_data_or_kept():
    """A new tool's table must say what deletion does with it: the test fails until it does."""
    learner = {entry.model for entry in retention.learner_data()}
    kept = set(retention.kept())
    every = set(apps.get_app_config("facilitation").get_models())
    assert not learner & kept
    assert every - learner - kept == set(), "add these to retention.learner_data() or retention.KEPT"
    for model in apps.get_models():  # every app's, so a new app's table pointing at learners counts too
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model in learner:
                assert model in learner, f"{model.__name__}.{f.name} points at learner data"


def test_it_deletes_every_row_and_every_text_of_the_sessions_learners(client, owner):
    session = play_workshop(learners=12, owner=owner)
    every_trace(session)
    before = {e.label: e.count for e in retention.inventory(session)}
    assert all(before.values()), [
        label for label, n in before.items() if not n
    ]  # the fixture fills every table
    client.force_login(owner)
    texts = report_texts(client, session)
    assert "QUESTION-TEXT pinned" in texts["report"] and "QUESTION-TEXT" in texts["questions.csv"]
    assert SOFIA in texts["report"] and "ANNOTATION-QUOTE" in texts["annotations.csv"]

    response = client.post(
        reverse("facilitation:learner_data", args=[session.code]),
        {"action": "delete", "confirm": session.code},
    )
    assert response.status_code == 302
    assert all(entry.rows(session).count() == 0 for entry in retention.learner_data())
    database = every_text_in_the_database(session)
    for text in LEARNER_TEXTS:
        assert text not in database, text
    for where, body in report_texts(client, session).items():
        for text in LEARNER_TEXTS:
            assert text not in body, (where, text)
    assert "What did a learner mean?" in database  # the poll stays, without the name
    assert session.segments.exists() and Poll.objects.filter(session=session).count() == 3


def test_it_lists_what_deletion_removes_with_counts(client, owner):
    session = play_workshop(learners=6, owner=owner)
    every_trace(session)
    client.force_login(owner)
    body = client.get(reverse("facilitation:learner_data", args=[session.code])).content.decode()
    for entry in retention.inventory(session):
        assert f"{escape(entry.label[:1].upper() + entry.label[1:])}</th><td>{entry.count}</td>" in body
    assert "Q&amp;A questions</th><td>2</td>" in body
    assert "Your formative observations (they name groups and learners)</th><td>4</td>" in body
    assert "phases and timings" in body  # what stays


def test_it_anonymises_names_everywhere_and_keeps_counts_and_texts(client, owner):
    session = play_workshop(learners=8, owner=owner)
    people = every_trace(session)
    client.force_login(owner)
    client.post(
        reverse("facilitation:learner_data", args=[session.code]),
        {"action": "anonymise", "confirm": session.code},
    )
    assert sorted(session.participants.values_list("name", flat=True)) == sorted(
        f"Learner {n}" for n in range(1, 9)
    )
    database = every_text_in_the_database(session)
    assert SOFIA not in database and TOMASZ not in database
    assert "Learner 1 found the evidence" in database and "What did Learner 2 mean?" in database
    assert not Observation.objects.filter(session=session).exists()
    assert not Note.objects.filter(session=session, participant__isnull=False).exists()
    assert not Question.objects.filter(session=session, participant__isnull=False).exists()
    assert not GroupField.objects.filter(group__grouping__session=session, updated_by__isnull=False).exists()
    assert Note.objects.filter(session=session).count() == 9 and QuestionVote.objects.count() == 3
    assert session.participants.get(pk=people[0].pk).poll_answers.count() == 2
    report = client.get(reverse("facilitation:report", args=[session.code]) + "?names=1").content.decode()
    assert SOFIA not in report and "QUESTION-TEXT pinned" in report


def test_it_tells_a_learner_who_reloads_that_their_data_was_deleted(client, owner):
    session = play_workshop(learners=3, owner=owner)
    learner = session.participants.first()
    retention.delete_learner_data(session)
    s = client.session
    s[SESSION_KEY] = {session.code: learner.pk}
    s.save()
    response = client.get(reverse("facilitation:learner", args=[session.code]))
    body = response.content.decode()
    assert response.status_code == 410
    assert (
        "This session&#x27;s learner data was deleted" in body
        or "This session's learner data was deleted" in body
    )
    assert "<link" in body and "stylesheet" in body  # the site's page, not a bare "Not Found"
    assert client.get(reverse("facilitation:worksheet_page", args=[session.code])).status_code == 410


def test_it_shows_a_styled_page_for_an_unknown_address(client):
    # /s/<CODE>/ itself answers an unknown code like one not joined (the join page); its sub-pages say 404.
    response = client.get("/s/NOSUCH/plan/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "join with the code your facilitator shows" in body and "stylesheet" in body


def test_learners_pages_still_open_are_told_at_once(owner, monkeypatch, django_capture_on_commit_callbacks):
    from facilitation.live import broadcast

    session = play_workshop(learners=2, owner=owner)
    sent = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    with django_capture_on_commit_callbacks(execute=True):
        retention.delete_learner_data(session)
    html = next(html for group, html in sent if group == session.group_all)
    assert '<main id="main"' in html and 'hx-swap-oob="true"' in html
    assert "learner data was deleted" in html and "Thank you for taking part" in html


@pytest.mark.parametrize("action", ["delete", "anonymise"])
def test_cached_pdfs_of_the_session_go_with_its_learner_data(
    client, owner, action, django_capture_on_commit_callbacks
):
    """A report PDF is cached for an hour (in Redis in production): deleting the learner data must not leave
    their names and texts there."""
    from django.core.cache import caches

    session = play_workshop(learners=3, owner=owner)
    client.force_login(owner)
    assert client.get(reverse("facilitation:report_pdf", args=[session.code])).status_code == 200
    store = caches["pdf"]
    cached = store.get(f"pdf-keys:{session.pdf_scope}")
    assert cached and all(store.get(key) for key in cached)
    with django_capture_on_commit_callbacks(execute=True):
        getattr(retention, "delete_learner_data" if action == "delete" else "anonymise")(session)
    assert [store.get(key) for key in cached] == [None] * len(cached)
    assert client.get(reverse("facilitation:report_pdf", args=[session.code])).status_code == 200
    assert not set(store.get(f"pdf-keys:{session.pdf_scope}")) & set(cached)
