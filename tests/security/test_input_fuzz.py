"""Every form of the app, fed hostile input by Hypothesis: oversized text (to 100 000 characters), unicode
(astral, right-to-left, zero-width), HTML and script payloads, control characters and NUL, numbers that are
not numbers, missing fields and repeated fields (a list where one value is expected).

Whatever arrives, the app never answers 5xx: it refuses with a message (4xx with a text, or htmx's 200 that
carries the message) or stores the value. A stored payload is HTML-escaped wherever it is shown: the raw tag
never appears in any answer or on the pages that show it, and its escaped form does. NUL is refused
everywhere: PostgreSQL cannot store it, so queries here run through a guard that fails like PostgreSQL would
on any NUL in a query's parameters (tests run on SQLite).

One committed world (the access matrix's: a session with learners, groups, polls, plans, reviews, help) serves
the whole module; every example runs in a savepoint that is rolled back, so examples never see each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import DataError, connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation import control
from facilitation.models import (
    ActionPlan,
    Annotation,
    BreakoutGroup,
    Cluster,
    FacilitatorReflection,
    GroupField,
    GroupMessage,
    HelpRequest,
    LearnerReflection,
    LiveSession,
    Note,
    Observation,
    Participant,
    PeerReview,
    PlanAnswer,
    PlanStatus,
    Poll,
    PollAnswer,
    PollStatus,
    Question,
    SummativeAssessment,
    WallState,
    WorksheetAnswer,
)
from lessons.models import Lesson
from tests.security.test_access_matrix import HX, World, build_world

pytestmark = pytest.mark.django_db

# --- Hostile values -----------------------------------------------------------------------------------------

# Payloads carry "zqx" so a raw tag in a page can only be one of ours.
PAYLOADS = [
    "<script>zqx()</script>",
    '"><img src=x onerror=zqx()>',
    "<svg onload=zqx()>",
    "</textarea><script>zqx()</script>",
    "javascript:zqx()",
]
RAW = ["<script>zqx", "<img src=x onerror=zqx", "<svg onload=zqx"]
ESCAPED = ["&lt;script&gt;zqx", "&lt;img src=x onerror=zqx", "&lt;svg onload=zqx"]
ODD = [
    "\x00",
    "a\x00b",
    "\u202eevil",  # right-to-left override
    "zero\u200bwidth\u200d\ufeff",
    "𝕏 😀 𓀀",  # astral planes
    "\r\n\r\n",
    "\x1b[31mred",
    "\x07\x08\x0b\x0c",
    "line\u2028sep",
    "%00",
    "' OR 1=1 --",
    "{{ 7|add:7 }}{% csrf_token %}",
    "   ",
]
NUMBERISH = ["", "0", "-1", "1", "2", "3", "12", "99999999999999999999999", "1e3", "NaN", "inf", " 2 ", "2.5"]
NUMBERISH += ["0x10", "٣", "True", "-0"]


def _long(text: str, size: int) -> str:
    return (text * (size // len(text) + 1))[:size]


HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(PAYLOADS + ODD + NUMBERISH),
    st.builds(
        lambda a, p, b: a + p + b, st.text(max_size=10), st.sampled_from(PAYLOADS + ODD), st.text(max_size=10)
    ),
    st.builds(
        _long, st.sampled_from(["x", "é", "😀", "<b>", "\u200b"]), st.sampled_from([61, 281, 2001, 100_000])
    ),
)
# A field is sent as one value, left out (None), or repeated (a list).
HOSTILE_FIELD = st.one_of(HOSTILE_TEXT, st.none(), st.lists(HOSTILE_TEXT, min_size=2, max_size=3))


@dataclass(frozen=True)
class Field:
    """One form field: its hostile-or-valid strategy, and the value a careful person would send."""

    strategy: st.SearchStrategy
    canonical: str | list | None


def field_of(*valid) -> Field:
    """A hostile value half of the time, otherwise one of the valid ones (so the storing paths run too)."""
    if not valid:
        return Field(HOSTILE_FIELD, None)
    return Field(st.one_of(st.sampled_from(valid), HOSTILE_FIELD), valid[0])


def with_payload(valid: str) -> Field:
    """Text fields: often a valid text carrying a payload, so stored-and-shown is exercised."""
    carried = st.builds(
        lambda p, tail: f"{valid} {p} {tail}".strip(), st.sampled_from(PAYLOADS), st.text(max_size=10)
    )
    return Field(st.one_of(carried, HOSTILE_FIELD), f"{valid} {PAYLOADS[0]}")


def form_data(draw, fields: dict[str, Field]) -> dict:
    data = {}
    for name, f in fields.items():
        value = draw(f.strategy)
        if value is not None:
            data[name] = value
    return data


def canonical_data(fields: dict[str, Field]) -> dict:
    return {name: f.canonical for name, f in fields.items() if f.canonical is not None}


# --- What is posted where, and where it is shown ------------------------------------------------------------


def _no_text(world: World) -> None:
    """The form stores no text to follow (a vote, a number, a choice)."""


@dataclass
class Spec:
    """One form: who posts it, where, which fields; what it stores (the text, or None) and where it is shown."""

    who: str
    url: Callable[[World], str]
    fields: Callable[[World], dict]
    stored: Callable[[World], str | None] = _no_text
    shown: Callable[[World], list[tuple[str, str]]] = lambda w: []
    prepare: Callable[[World], None] | None = None
    method: str = "POST"
    htmx: bool = True
    examples: int | None = None  # 25 for forms storing text (escaping to check), 12 for votes and numbers
    refusal_status: set = field(default_factory=lambda: {400, 404, 409, 429})


def s(name: str, **kwargs) -> Callable[[World], str]:
    """The URL `name` of the world's session, with ids from `World.ids` for string values."""
    return lambda w: reverse(
        f"facilitation:{name}",
        kwargs={
            "code": w.code,
            **{k: w.ids.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()},
        },
    )


def latest(model, field_name: str, **lookup) -> Callable[[World], str | None]:
    def read(w: World):
        values = {k: (v(w) if callable(v) else v) for k, v in lookup.items()}
        return model.objects.filter(**values).order_by("-pk").values_list(field_name, flat=True).first()

    return read


def _draft_plan(w: World) -> None:
    PeerReview.objects.filter(plan__participant=w.ada).delete()
    ActionPlan.objects.filter(participant=w.ada).update(status=PlanStatus.DRAFT, submitted_at=None)


def _last_phase(w: World) -> None:
    control.go_to(w.session, w.session.phases.count() - 1)


def _version(model, **lookup) -> Callable[[World], int]:
    def read(w: World) -> int:
        values = {k: (v(w) if callable(v) else v) for k, v in lookup.items()}
        return model.objects.filter(**values).values_list("version", flat=True).first() or 0

    return read


ada = lambda w: w.ada  # noqa: E731
one = lambda w: w.ids["group_one"]  # noqa: E731

SPECS: dict[str, Spec] = {
    # --- Learners
    "join": Spec(
        "stranger",
        lambda w: reverse("facilitation:join_code", args=[w.code]),
        lambda w: {
            "name": with_payload("Sam"),
            "experience": field_of("novice", "experienced"),
            "role": field_of("data", "ml"),
            "acknowledge": field_of("on"),
        },
        stored=latest(Participant, "name", session=lambda w: w.session),
        shown=lambda w: [("owner", s("dashboard")(w))],
        htmx=False,
    ),
    "wall note": Spec(
        "ada",
        s("wall_post_note"),
        lambda w: {"text": with_payload("Silos"), "colour": field_of("yellow", "pink")},
        stored=latest(Note, "text", participant=ada, group_key=""),
        shown=lambda w: [("ada", s("learner")(w)), ("owner", s("dashboard")(w))],
    ),
    "wall vote": Spec("ada", s("wall_vote", note_id="note"), lambda w: {"action": field_of("remove", "add")}),
    "Q&A question": Spec(
        "ada",
        s("explain_ask"),
        lambda w: {"text": with_payload("Who pays?"), "show_name": field_of("on", "")},
        stored=latest(Question, "text", participant=ada),
        shown=lambda w: [("ada", s("learner")(w)), ("owner", s("dashboard")(w))],
    ),
    "Q&A upvote": Spec(
        "ada", s("explain_vote", question_id="question"), lambda w: {"action": field_of("remove", "add")}
    ),
    "poll answer (open text)": Spec(
        "ada",
        s("poll_answer", poll_id="poll"),
        lambda w: {"text": with_payload("Nobody owns costs")},
        stored=latest(PollAnswer, "text", participant=ada, poll_id=lambda w: w.ids["poll"]),
        shown=lambda w: [("owner", s("dashboard")(w))],
        refusal_status={200},  # htmx gets its refusals as 200 with the message in the fragment
    ),
    "poll answer (single choice)": Spec(
        "ada",
        s("poll_answer", poll_id="single_poll"),
        lambda w: {"choice": field_of("0", "1")},
        refusal_status={200},
    ),
    "poll answer (multiple choice)": Spec(
        "ada",
        s("poll_answer", poll_id="multiple_poll"),
        lambda w: {"choice": field_of(["0", "1"], "1")},
        refusal_status={200},
    ),
    "poll answer (rating)": Spec(
        "ada",
        s("poll_answer", poll_id="scale_poll"),
        lambda w: {"rating": field_of("1", "5")},
        refusal_status={200},
    ),
    "poll answer (word cloud)": Spec(
        "ada",
        s("poll_answer", poll_id="words_poll"),
        lambda w: {"text": with_payload("silos")},
        stored=latest(PollAnswer, "text", participant=ada, poll_id=lambda w: w.ids["words_poll"]),
        shown=lambda w: [("owner", s("dashboard")(w))],
        refusal_status={200},
    ),
    "worksheet answer": Spec(
        "ada",
        s("worksheet_save", item_id="item"),
        lambda w: {
            "severity": field_of("1", "5", ""),
            "not_applicable": field_of("on"),
            "comment": with_payload("We never talk"),
            "version": field_of(str(_version(WorksheetAnswer, participant=ada)(w))),
            "force_version": field_of(),
        },
        stored=latest(WorksheetAnswer, "comment", participant=ada),
        shown=lambda w: [("ada", s("worksheet_page")(w))],
    ),
    "group analysis (text)": Spec(
        "ada",
        s("group_field", key="evidence"),
        lambda w: {
            "value": with_payload("The forecast broke"),
            "version": field_of(str(_version(GroupField, group_id=one, key="evidence")(w))),
            "client": field_of("tab-1"),
        },
        stored=latest(GroupField, "value", group_id=one, key="evidence"),
        shown=lambda w: [
            ("bo", s("learner")(w)),
            ("owner", s("group_look_in", group_id="group_one")(w)),
        ],
    ),
    "group analysis (checkboxes)": Spec(
        "ada",
        s("group_field", key="obstacles"),
        lambda w: {
            "choice": field_of("silos", ["silos", "cost-visibility"]),
            "version": field_of(str(_version(GroupField, group_id=one, key="obstacles")(w))),
        },
    ),
    "group strategy": Spec(
        "ada",
        s("group_field", key="strategy"),
        lambda w: {"value": with_payload("Shared backlog"), "version": field_of("0")},
        stored=latest(GroupField, "value", group_id=one, key="strategy"),
        shown=lambda w: [("bo", s("learner")(w)), ("owner", s("dashboard")(w))],
    ),
    "case annotation": Spec(
        "ada",
        s("group_annotate"),
        lambda w: {
            "quote": field_of("the data team", "Nobody told"),
            "start": field_of("0", "12"),
            "comment": with_payload("Who told them?"),
            "category": field_of(str(w.ids["category"])),
        },
        stored=latest(Annotation, "comment", participant=ada),
        shown=lambda w: [
            ("bo", s("learner")(w)),
            ("owner", s("group_look_in", group_id="group_one")(w)),
        ],
    ),
    "group wall note": Spec(
        "ada",
        s("group_note"),
        lambda w: {"text": with_payload("Ask finance"), "colour": field_of("green")},
        stored=latest(Note, "text", participant=ada, group_key=lambda w: f"group-{w.ids['group_one']}"),
        shown=lambda w: [("bo", s("learner")(w))],
    ),
    "action plan autosave": Spec(
        "ada",
        s("plan_save"),
        lambda w: {
            "field": field_of("goal", "obstacle"),
            "goal": with_payload("Cut costs"),
            "obstacle": with_payload("Silos"),
            "v-goal": field_of(str(_version(PlanAnswer, plan__participant=ada, field__key="goal")(w))),
            "v-obstacle": field_of(
                str(_version(PlanAnswer, plan__participant=ada, field__key="obstacle")(w))
            ),
        },
        stored=latest(PlanAnswer, "text", plan__participant=ada, field__key="goal"),
        shown=lambda w: [("ada", s("plan_page")(w))],
        prepare=_draft_plan,
    ),
    "action plan submit": Spec(
        "ada",
        s("plan_submit"),
        lambda w: {
            "goal": with_payload("Cut costs"),
            "v-goal": field_of(str(_version(PlanAnswer, plan__participant=ada, field__key="goal")(w))),
        },
        stored=latest(PlanAnswer, "text", plan__participant=ada, field__key="goal"),
        shown=lambda w: [("ada", s("plan_page")(w)), ("owner", s("plan_assess", plan_id="ada_plan")(w))],
        prepare=_draft_plan,
    ),
    "peer review": Spec(
        "ada",
        s("review_page", review_id="ada_review"),
        lambda w: {
            f"c{w.ids['criterion']}": field_of("1", "3"),
            "strengths": with_payload("Clear goal"),
            "suggestion": with_payload("Add a date"),
        },
        stored=latest(PeerReview, "strengths", reviewer=ada),
        shown=lambda w: [("owner", s("plan_assess", plan_id="bo_plan")(w))],
        htmx=False,
    ),
    "help request": Spec(
        "ada",
        s("support_ask"),
        lambda w: {"message": with_payload("I am stuck")},
        stored=latest(HelpRequest, "message", participant=ada),
        shown=lambda w: [("owner", s("support_panel")(w)), ("ada", s("learner")(w))],
    ),
    "self-assessment": Spec(
        "ada",
        s("support_rate", moment="before"),
        lambda w: {
            f"domain-{pk}": field_of("1", "5") for pk in w.session.lesson.domains.values_list("pk", flat=True)
        },
    ),
    "exit reflection": Spec(
        "ada",
        s("support_reflect"),
        lambda w: {f"item-{w.ids['reflection_item']}": with_payload("Talk to finance")},
        stored=latest(LearnerReflection, "text", participant=ada),
        shown=lambda w: [("ada", s("learner")(w)), ("owner", s("report")(w))],
        prepare=_last_phase,
    ),
    # --- Facilitators
    "new poll": Spec(
        "owner",
        s("poll_create"),
        lambda w: {
            "kind": field_of("single", "words", "scale", "quiz", "text", "multiple"),
            "question": with_payload("What hurts?"),
            "options_text": field_of("Silos\nCost", "A\nB\nC"),
            "correct_option": field_of("1", ""),
            "scale_min": field_of("1"),
            "scale_max": field_of("5", "10"),
            "scale_min_label": with_payload("Low"),
            "scale_max_label": field_of("High"),
            "show_results_live": field_of("on"),
            "open": field_of("1"),
        },
        stored=latest(Poll, "question", session=lambda w: w.session),
        shown=lambda w: [("owner", s("dashboard")(w)), ("ada", s("learner")(w))],
        refusal_status={200, 400},  # the htmx panel carries the form with its errors
    ),
    "wall question": Spec(
        "owner",
        s("wall_control", action="prompt"),
        lambda w: {"prompt": with_payload("What blocks you?")},
        stored=latest(WallState, "prompt", session=lambda w: w.session),
        shown=lambda w: [("owner", s("dashboard")(w)), ("ada", s("learner")(w))],
    ),
    "votes per person": Spec(
        "owner", s("wall_control", action="open-voting"), lambda w: {"votes": field_of("3")}
    ),
    "new cluster": Spec(
        "owner",
        s("wall_create_cluster"),
        lambda w: {"name": with_payload("Ownership")},
        stored=latest(Cluster, "name", session=lambda w: w.session),
        shown=lambda w: [("owner", s("dashboard")(w)), ("ada", s("learner")(w))],
    ),
    "cluster rename": Spec(
        "owner",
        lambda w: s("wall_cluster", cluster_id="cluster", action="rename")(w),
        lambda w: {"name": with_payload("Renamed"), "cluster": field_of(str(w.ids["second_cluster"]))},
        stored=lambda w: Cluster.objects.filter(pk=w.ids["cluster"]).values_list("name", flat=True).first(),
        shown=lambda w: [("owner", s("dashboard")(w))],
    ),
    "cluster merge": Spec(
        "owner",
        s("wall_cluster", cluster_id="cluster", action="merge"),
        lambda w: {"cluster": field_of(str(w.ids["second_cluster"]), str(w.ids["cluster"]))},
    ),
    "show authors to me": Spec("owner", s("wall_authors"), lambda w: {"show": field_of("1", "0")}),
    "move a note": Spec(
        "owner",
        s("wall_note", note_id="note", action="move"),
        lambda w: {"cluster": field_of(str(w.ids["cluster"]), "")},
    ),
    "clock: extend": Spec("owner", s("control", action="extend"), lambda w: {"minutes": field_of("5", "10")}),
    "clock: go to a phase": Spec(
        "owner", s("control", action="goto"), lambda w: {"index": field_of("0", "4")}
    ),
    "form groups": Spec(
        "owner",
        s("group_create"),
        lambda w: {
            "strategy": field_of("random", "mixed", "role", "self_select", "worksheet"),
            "by": field_of("count", "size"),
            "number": field_of("2", "3"),
            "cap": field_of("", "2"),
        },
    ),
    "message to all groups": Spec(
        "owner",
        s("group_control", action="message"),
        lambda w: {"text": with_payload("Five minutes")},
        stored=latest(GroupMessage, "text", session=lambda w: w.session),
        shown=lambda w: [("ada", s("learner")(w)), ("cy", s("learner")(w))],
    ),
    "move a learner": Spec(
        "owner",
        s("group_control", action="move"),
        lambda w: {"participant": field_of(str(w.cy.pk)), "group": field_of(str(w.ids["group_one"]))},
    ),
    "observation": Spec(
        "owner",
        s("group_control", action="observe"),
        lambda w: {"text": with_payload("Lively"), "participant": field_of(str(w.ada.pk), "")},
        stored=latest(Observation, "text", session=lambda w: w.session),
        shown=lambda w: [("owner", s("dashboard")(w)), ("owner", s("report")(w))],
    ),
    "group name": Spec(
        "owner",
        s("group_action", group_id="group_one", action="rename"),
        lambda w: {"name": with_payload("The A team")},
        stored=latest(BreakoutGroup, "name", pk=one),
        shown=lambda w: [("owner", s("dashboard")(w)), ("ada", s("learner")(w))],
    ),
    "meeting link": Spec(
        "owner",
        s("group_action", group_id="group_one", action="link"),
        lambda w: {
            "meeting_url": field_of("https://meet.example.org/room", "javascript:zqx()", "meet.example.org")
        },
        shown=lambda w: [("ada", s("learner")(w))],
    ),
    "group categories": Spec(
        "owner",
        s("group_action", group_id="group_one", action="categories"),
        lambda w: {"categories": field_of(str(w.ids["category"]), [str(w.ids["category"])])},
    ),
    "group case study": Spec(
        "owner",
        s("group_action", group_id="group_one", action="case"),
        lambda w: {"case_study": field_of(str(w.ids["case"]), "")},
    ),
    "group message": Spec(
        "owner",
        s("group_action", group_id="group_one", action="message"),
        lambda w: {"text": with_payload("Wrap up")},
        stored=latest(GroupMessage, "text", session=lambda w: w.session),
        shown=lambda w: [("ada", s("learner")(w))],
    ),
    "slide: go to": Spec("owner", s("explain_slide", action="goto"), lambda w: {"index": field_of("0", "1")}),
    "map highlight": Spec(
        "owner", s("explain_highlight"), lambda w: {"component": field_of(str(w.ids["component"]), "")}
    ),
    "allocate reviewers": Spec(
        "owner", s("review_allocate"), lambda w: {"k": field_of("1", "2"), "avoid_same_group": field_of("on")}
    ),
    "release reviews": Spec("owner", s("review_release"), lambda w: {"release": field_of("1", "0")}),
    "nudge": Spec(
        "owner",
        s("review_nudge", review_id="ada_review"),
        lambda w: {"message": with_payload("Please")},
        stored=latest(PeerReview, "nudge", reviewer=ada),
        shown=lambda w: [("ada", s("plan_page")(w))],
    ),
    "summative assessment": Spec(
        "owner",
        s("plan_assess", plan_id="ada_plan"),
        lambda w: {f"c{w.ids['criterion']}": field_of("2", "4"), "comment": with_payload("Needs owners")},
        stored=latest(SummativeAssessment, "comment", plan_id=lambda w: w.ids["ada_plan"]),
        shown=lambda w: [("owner", s("plan_assess", plan_id="ada_plan")(w)), ("owner", s("report")(w))],
        htmx=False,
    ),
    "facilitator reflection": Spec(
        "owner",
        s("support_reflection"),
        lambda w: {f"item-{w.ids['facilitator_item']}": with_payload("It ran long")},
        stored=latest(FacilitatorReflection, "text", session=lambda w: w.session),
        shown=lambda w: [("owner", s("support_reflection")(w)), ("owner", s("report")(w))],
        htmx=False,
    ),
    "learner data": Spec(
        "owner",
        s("learner_data"),
        lambda w: {"action": field_of("anonymise", "delete"), "confirm": field_of(w.code, w.code.lower())},
        htmx=False,
    ),
    "new session": Spec(
        "owner",
        lambda w: reverse("facilitation:sessions"),
        lambda w: {"lesson": field_of(str(w.session.lesson_id)), "title": with_payload("Cohort 4")},
        stored=lambda w: (
            LiveSession.objects.filter(owner=w.owner).order_by("-pk").values_list("title", flat=True).first()
        ),
        shown=lambda w: [("owner", reverse("facilitation:sessions"))],
        htmx=False,
    ),
    # --- Query strings
    "join code typed": Spec(
        "stranger",
        lambda w: reverse("facilitation:join"),
        lambda w: {"code": field_of(w.code)},
        method="GET",
        htmx=False,
    ),
    "worksheet view switch": Spec(
        "owner", s("worksheet_panel"), lambda w: {"view": field_of("room", "role", "level")}, method="GET"
    ),
    "sign in": Spec(
        "stranger",
        lambda w: reverse("login"),
        lambda w: {"username": field_of(w.owner.username), "password": field_of("not-the-password")},
        htmx=False,
    ),
    "report with names": Spec(
        "owner", s("report"), lambda w: {"names": field_of("1")}, method="GET", htmx=False
    ),
}


# --- The world, once for the module ---------------------------------------------------------------------------

FAST = {
    "JOIN_RATE": "100000/m",
    "WALL_NOTE_RATE": "100000/m",
    "EXPLAIN_QUESTION_RATE": "100000/m",
    "SUPPORT_HELP_RATE": "100000/m",
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built and committed once (each test's own transaction is rolled back, and each example's savepoint),
    removed again when the module is done."""
    with override_settings(**FAST), django_db_blocker.unblock():
        cache.clear()
        built = build_world()
        polls = {
            "single_poll": Poll.objects.create(
                session=built.session, number=3, kind="single", question="Which?", options_text="Silos\nCost"
            ),
            "scale_poll": Poll.objects.create(
                session=built.session, number=4, kind="scale", question="How much?"
            ),
            "words_poll": Poll.objects.create(
                session=built.session, number=5, kind="words", question="A word?"
            ),
            "multiple_poll": Poll.objects.create(
                session=built.session,
                number=6,
                kind="multiple",
                question="All that apply?",
                options_text="A\nB\nC",
            ),
        }
        Poll.objects.filter(pk__in=[p.pk for p in polls.values()]).update(status=PollStatus.OPEN)
        built.ids.update({name: poll.pk for name, poll in polls.items()})
        built.ids["bo_plan"] = ActionPlan.objects.get(participant=built.bo).pk
        try:
            yield built
        finally:
            keys = [c.session.session_key for c in built.clients.values() if c.session.session_key]
            LiveSession.objects.filter(pk__in=[built.session.pk, built.other.pk]).delete()
            LiveSession.objects.filter(owner__in=[built.owner, built.outsider]).delete()
            Lesson.objects.filter(pk__in=[built.session.lesson_id, built.other.lesson_id]).delete()
            built.owner.delete()
            built.outsider.delete()
            Session.objects.filter(session_key__in=keys).delete()


@pytest.fixture(autouse=True)
def _fast(settings):
    for name, value in FAST.items():
        setattr(settings, name, value)
    cache.clear()


def _postgres_would_refuse(execute, sql, params, many, context):
    """PostgreSQL rejects NUL in text parameters (a 500 in production); make SQLite tests fail the same way."""
    rows = params if many else [params]
    for row in rows or []:
        values = row.values() if isinstance(row, dict) else row or []
        if any(isinstance(value, str) and "\x00" in value for value in values):
            raise DataError("A string literal cannot contain NUL (0x00) characters.")
    return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def _no_nul_in_queries():
    with connection.execute_wrapper(_postgres_would_refuse):
        yield


# --- The property ---------------------------------------------------------------------------------------------


def _client(world: World, who: str) -> Client:
    return Client(raise_request_exception=False) if who == "stranger" else world.clients[who]


def _send(world: World, spec: Spec, data: dict):
    client, url = _client(world, spec.who), spec.url(world)
    headers = HX if spec.htmx else {}
    if spec.method == "GET":
        return client.get(url, data, headers=headers)
    return client.post(url, data, headers=headers)


def _text(response) -> str:
    return response.content.decode(errors="replace")


def _check(world: World, spec: Spec, data: dict) -> str:
    response = _send(world, spec, data)
    body = _text(response)
    assert response.status_code < 500, f"{response.status_code} for {data!r:.300}"
    assert response.status_code in {200, 201, 204, 302} | spec.refusal_status, response.status_code
    if 400 <= response.status_code < 500:
        assert body.strip(), "a refusal without a message"
    assert [raw for raw in RAW if raw in body] == [], "unescaped payload in the answer"
    assert 'href="javascript:' not in body.lower()
    value = spec.stored(world)
    if value is None:
        return "nothing stored"
    assert "\x00" not in value, "NUL stored"
    payloads = [escaped for raw, escaped in zip(RAW, ESCAPED, strict=True) if raw in value]
    if not payloads:
        return "stored"
    pages = [_text(_client(world, who).get(url)) for who, url in spec.shown(world)]
    for page in pages:
        assert [raw for raw in RAW if raw in page] == [], "unescaped payload on a page that shows it"
        assert 'href="javascript:' not in page.lower()
    assert any(escaped in page for page in pages for escaped in payloads), "stored payload shown nowhere"
    return "stored a payload"


def _example(world: World, spec: Spec, draw: Callable[[World], dict] | None) -> str:
    """One request in a rolled-back savepoint: the form as `draw` fills it (None: the careful person's)."""
    try:
        with transaction.atomic():
            try:
                if spec.prepare:
                    spec.prepare(world)
                world.refresh()
                fields = spec.fields(world)
                data = draw(fields) if draw else canonical_data(fields)
                return _check(world, spec, data)
            finally:
                transaction.set_rollback(True)
    finally:
        world.refresh()


@pytest.mark.parametrize("name", list(SPECS))
def test_every_form_refuses_with_a_message_or_stores_and_escapes(world, name):
    spec = SPECS[name]
    careful = _example(world, spec, None)
    if spec.stored is not _no_text:
        # Not vacuous: the careful person's text with a payload is stored, shown, and shown escaped.
        assert careful == "stored a payload", careful

    @settings(
        max_examples=spec.examples or (25 if spec.stored is not _no_text else 12),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=st.data())
    def hostile(data):
        cache.clear()
        _example(world, spec, lambda fields: form_data(data.draw, fields))

    hostile()
