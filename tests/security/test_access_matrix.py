"""One access matrix over every URL of the site, walked from the URL resolver.

Every URL pattern must have an entry here (`RECIPES`, `PUBLIC`, or an excluded namespace with its reason), so a
URL added later fails `test_every_url_has_an_entry_in_the_matrix` until someone decides who may use it. Each
recipe builds valid-looking requests for its URL (GET, and POST with plausible data when the view takes
POST), and the matrix tries them as:

- a stranger (no account, not joined), a learner of another session and a facilitator of another session,
  against the victim session's code: refused (403/404, or sent to sign in or to join);
- the same learner and facilitator of the other session, against *their own* session's code but with the
  victim session's ids (a note, a poll, a plan, a group ...): refused with a 4xx;
- a learner of the victim session on facilitator URLs: sent to sign in;
- another learner of the victim session, in another breakout group, on learner URLs: only their own things;
  URLs naming someone else's review or another group's annotation are refused.

Distinctive marker strings are planted in the victim session (note text, plan text, learner names, the case
analysis, the poll question, help messages, reflections ...): none may appear in any refused answer, and a
refused request must change nothing stored about the victim session. Each recipe is also run by the person
it is meant for (owner, learner, reviewer), who must get a 2xx or a redirect, and whose POST changes
something, so the matrix cannot pass by refusing everybody.

Existing per-tool access tests (tests/facilitation/test_*.py) stay where they are; the websocket's own checks
(stranger, other session, other facilitator, origins, oversized frames) are in tests/live/test_consumers.py,
and this file adds what crosses breakout groups and sessions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import (
    ActionPlan,
    BreakoutGroup,
    Grouping,
    GroupingStrategy,
    GroupMember,
    HelpRequest,
    LearnerReflection,
    LiveSession,
    Participant,
    PeerReview,
    PlanStatus,
    Poll,
    PollAnswer,
    PollStatus,
    PreparedPoll,
    ReviewStatus,
    WardleyComponent,
    WardleyMap,
)
from facilitation.tools.action_plan import rules as action_plan
from facilitation.tools.groups import rules as groups
from facilitation.tools.slides import rules as slides
from facilitation.tools.support import rules as support
from facilitation.tools.wall import rules as wall
from facilitation.tools.worksheets import rules as worksheets
from lessons.models import CaseStudy, ItemKind, LessonItem, ObstacleCategory, RubricCriterion, WorksheetItem
from tests.factories import make_lesson, make_session, make_user
from tests.live.conftest import asgi_app  # noqa: F401 (the websocket tests' fixture)
from tests.live.test_consumers import facilitator_cookie, learner_cookie, socket

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}

# --- Markers planted in the victim session --------------------------------------------------------------------
# Lower case with hyphens: they cannot turn up by chance in a join code or a CSRF token.

M = {
    "title": "zq-title-harbour-session",
    "ada": "Adalind Zqname",
    "bo": "Borislav Zqname",
    "cy": "Cyrillo Zqname",
    "note": "zq-note-silos-everywhere",
    "bo_note": "zq-note-from-bo",
    "prompt": "zq-prompt-what-blocks-you",
    "cluster": "zq-cluster-ownership",
    "poll": "zq-poll-what-hurts-most",
    "poll_answer": "zq-poll-answer-nobody-owns-costs",
    "question": "zq-question-who-pays-for-gpus",
    "worksheet": "zq-worksheet-we-never-talk",
    "group_name": "zq-group-one-name",
    "meeting": "https://meet.example.org/zq-meeting-room",
    "analysis": "zq-analysis-evidence-of-silos",
    "annotation": "zq-annotation-comment",
    "group_note": "zq-group-note-text",
    "group_message": "zq-group-message-to-one",
    "observation": "zq-observation-ada-leads",
    "plan_ada": "zq-plan-ada-obstacle",
    "plan_bo": "zq-plan-bo-obstacle",
    "review": "zq-review-strengths-by-bo",
    "nudge": "zq-nudge-please-review",
    "assessment": "zq-assessment-comment",
    "help": "zq-help-i-am-stuck",
    "reflection": "zq-reflection-learned-a-lot",
    "facilitator_reflection": "zq-facilitator-reflection",
}
EVERY_MARKER = tuple(M.values())
# What the victim session's other learners see anyway: the room's wall, its Q&A, the poll's question, the
# session's title. Everything else belongs to one learner, one group (Ada and Bo's), or the facilitators.
SHARED_IN_SESSION = {"title", "note", "bo_note", "prompt", "cluster", "poll", "question", "cy"}
PRIVATE_FROM_CY = tuple(value for key, value in M.items() if key not in SHARED_IN_SESSION)
# A public page may show the session's title to whoever holds the code (the join page does); never people's data.
LEARNER_DATA = tuple(value for key, value in M.items() if key != "title")

# --- The world: a victim session with everything in it, and another session --------------------------------


@dataclass
class World:
    owner: object
    outsider: object
    session: LiveSession
    other: LiveSession
    ada: Participant
    bo: Participant
    cy: Participant
    eve: Participant
    clients: dict[str, Client]
    ids: dict[str, int] = field(default_factory=dict)
    stored: list = field(default_factory=list)  # the victim session as built, to compare with

    @property
    def code(self) -> str:
        return self.session.code

    def refresh(self) -> None:
        self.session = LiveSession.objects.get(pk=self.session.pk)


def _client(**kwargs) -> Client:
    return Client(raise_request_exception=False, **kwargs)


def _join(session: LiveSession, name: str, experience: str, role: str) -> tuple[Client, Participant]:
    client = _client()
    response = client.post(
        reverse("facilitation:join_code", args=[session.code]),
        {"name": name, "experience": experience, "role": role, "acknowledge": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client, Participant.objects.get(session=session, name=name)


def _signed_in(user) -> Client:
    client = _client()
    client.force_login(user)
    return client


ELABORATE = 3  # a group phase (strategy tool) in `make_lesson`'s five phases


def build_world() -> World:
    lesson = make_lesson()
    category = ObstacleCategory.objects.filter(lesson=lesson).first()
    CaseStudy.objects.filter(lesson=lesson).update(scenario="Nobody told the data team about the forecast.")
    LessonItem.objects.create(
        lesson=lesson, kind=ItemKind.REFLECTION_LEARNER, order=1, text="What will you do?"
    )
    prepared = PreparedPoll.objects.create(
        lesson=lesson, kind="single", question="Ready?", options_text="Yes\nNo"
    )
    wardley = WardleyMap.objects.create(lesson=lesson, title="Ops map")
    component = WardleyComponent.objects.create(
        map=wardley, name="Feature store", visibility=0.5, evolution=0.4
    )

    owner = make_user(username="olga-owner")
    outsider = make_user(username="mallory-outsider", staff=False)
    session = make_session(lesson=lesson, owner=owner, started=True)
    LiveSession.objects.filter(pk=session.pk).update(title=M["title"])
    session.refresh_from_db()

    other_lesson = make_lesson(title="Another lesson", slug="another-lesson")
    other = make_session(lesson=other_lesson, owner=outsider, started=True)

    ada_client, ada = _join(session, M["ada"], "novice", "data")
    bo_client, bo = _join(session, M["bo"], "novice", "finance")
    cy_client, cy = _join(session, M["cy"], "experienced", "ml")
    eve_client, eve = _join(other, "Eve Elsewhere", "novice", "data")

    # Two breakout groups: Ada and Bo in the first, Cy in the second.
    session = control.go_to(session, ELABORATE)
    case = CaseStudy.objects.filter(lesson=lesson).order_by("order").first()
    grouping = Grouping.objects.create(session=session, strategy=GroupingStrategy.RANDOM)
    one = BreakoutGroup.objects.create(
        grouping=grouping, number=1, name=M["group_name"], case_study=case, meeting_url=M["meeting"]
    )
    two = BreakoutGroup.objects.create(grouping=grouping, number=2, name="Group 2", case_study=case)
    for person, group in ((ada, one), (bo, one), (cy, two)):
        GroupMember.objects.create(grouping=grouping, group=group, participant=person)

    # The wall, open with voting; a cluster to move notes into and one to merge.
    wall.set_open(session, True)
    wall.set_prompt(session, M["prompt"])
    wall.open_voting(session, 3)
    note = wall.post_note(ada, text=M["note"], colour="yellow")
    wall.post_note(bo, text=M["bo_note"], colour="blue")
    cluster = wall.create_cluster(session, M["cluster"])
    second_cluster = wall.create_cluster(session, "Second cluster")

    # An open poll with Ada's answer (results not revealed), and a draft to delete.
    poll = Poll.objects.create(
        session=session, number=1, kind="text", question=M["poll"], status=PollStatus.OPEN
    )
    PollAnswer.objects.create(poll=poll, participant=ada, text=M["poll_answer"])
    Poll.objects.create(session=session, number=2, kind="words", question="One word?")

    # The presentation, started, with Bo's question (Ada may upvote it: nobody upvotes their own).
    slides.set_started(session, True)
    question = slides.ask(bo, text=M["question"])

    # Ada's worksheet, her group's work, the facilitator's message to the group and observation.
    item = WorksheetItem.objects.filter(category__lesson=lesson).order_by("pk").first()
    worksheets.save_answer(ada, item.pk, severity=4, applies=True, comment=M["worksheet"], base_version=0)
    groups.save_field(ada, one, "evidence", M["analysis"], version=0)
    annotation = groups.annotate(
        ada, one, quote="Nobody told the data team", start=0, comment=M["annotation"], category=category
    )
    groups.post_note(ada, one, text=M["group_note"], colour="green")
    groups.send_message(session, M["group_message"], one.pk)
    groups.observe(session, owner, M["observation"], group_id=one.pk, participant=ada)

    # Plans: Ada's and Bo's are submitted; Bo reviewed Ada's (done), Ada has Bo's to review (nudged).
    criterion = RubricCriterion.objects.filter(lesson=lesson).first()
    for person, text in ((ada, M["plan_ada"]), (bo, M["plan_bo"])):
        action_plan.save_answer(person, "obstacle", text, 0)
        action_plan.save_answer(person, "goal", f"{text} goal", 0)
        action_plan.submit_plan(person, {})
    ada_plan, bo_plan = ActionPlan.objects.get(participant=ada), ActionPlan.objects.get(participant=bo)
    PeerReview.objects.create(
        plan=ada_plan,
        reviewer=bo,
        status=ReviewStatus.SUBMITTED,
        scores={str(criterion.pk): 3},
        strengths=M["review"],
        suggestion="Name an owner.",
        submitted_at=timezone.now(),
    )
    ada_review = PeerReview.objects.create(plan=bo_plan, reviewer=ada)
    action_plan.nudge(session, ada_review.pk, M["nudge"])
    action_plan.assess(ada_plan, owner, scores={str(criterion.pk): 4}, comment=M["assessment"])

    # Support: Ada's help request and self-assessment, her exit reflection, the facilitator's reflection.
    support.ask(ada, M["help"])
    domains = {domain.pk: 3 for domain in lesson.domains.all()} if hasattr(lesson, "domains") else {}
    if domains:
        support.rate(ada, "before", domains)
    reflection_item = LessonItem.objects.filter(lesson=lesson, kind=ItemKind.REFLECTION_LEARNER).first()
    LearnerReflection.objects.create(
        session=session,
        participant=ada,
        item=reflection_item,
        text=M["reflection"],
        updated_at=timezone.now(),
    )
    facilitator_item = LessonItem.objects.filter(lesson=lesson, kind=ItemKind.REFLECTION_FACILITATOR).first()
    support.reflect_as_facilitator(session, owner, {facilitator_item.pk: M["facilitator_reflection"]})
    help_request = HelpRequest.objects.get(participant=ada)

    # The other session has a little life of its own.
    wall.set_open(other, True)
    wall.post_note(eve, text="A note in another room", colour="yellow")

    clients = {
        "stranger": _client(),
        "ada": ada_client,
        "bo": bo_client,
        "cy": cy_client,
        "eve": eve_client,
        "owner": _signed_in(owner),
        "outsider": _signed_in(outsider),
    }
    ids = {
        "note": note.pk,
        "cluster": cluster.pk,
        "second_cluster": second_cluster.pk,
        "poll": poll.pk,
        "draft_poll": Poll.objects.get(session=session, number=2).pk,
        "prepared": prepared.pk,
        "item": item.pk,
        "group_one": one.pk,
        "group_two": two.pk,
        "annotation": annotation.pk,
        "question": question.pk,
        "ada_plan": ada_plan.pk,
        "ada_review": ada_review.pk,
        "help": help_request.pk,
        "case": case.pk,
        "category": category.pk,
        "criterion": criterion.pk,
        "component": component.pk,
        "reflection_item": reflection_item.pk,
        "facilitator_item": facilitator_item.pk,
    }
    world = World(owner, outsider, session, other, ada, bo, cy, eve, clients, ids)
    world.refresh()
    world.stored = stored(session)
    return world


# --- Recipes: how to call each URL -------------------------------------------------------------------------

FACILITATOR = "facilitator"  # the session's owner or co-facilitators only
LEARNER = "learner"  # a learner who joined the session, about their own things
STAFF = "staff"  # staff members (authors), no session data
ACCOUNT = "account"  # any signed-in facilitator, about their own account or sessions


@dataclass(frozen=True)
class Call:
    method: str
    kwargs: dict
    data: dict | None = None
    # POST data naming objects of the victim session (a participant, a group, a cluster ...)
    foreign_data: bool = False

    @property
    def names_objects(self) -> bool:
        return self.foreign_data or any(key.endswith("_id") for key in self.kwargs)


@dataclass(frozen=True)
class Recipe:
    kind: str
    calls: Callable[[World], list[Call]]
    # Brings the world into the state where the first call of each method works for its user.
    prepare: Callable[[World], None] | None = None
    # The learner who may use it ("ada" unless said); `own`: it names one learner's or one group's thing.
    user: str = ""
    own: bool = False
    # Why a working POST may leave the stored session unchanged (else it must change something).
    unchanged_because: str = ""
    # The status of a refusal sent to htmx, when the view answers 200 so that htmx swaps its message in.
    htmx_refusal: int | None = None


def get(**kwargs) -> Callable[[World], list[Call]]:
    """A GET of the URL with `code` and the given ids (names in `World.ids`, or literal values)."""
    return lambda w: [Call("GET", _kwargs(w, kwargs))]


def _kwargs(w: World, spec: dict) -> dict:
    values = {"code": w.code}
    for key, value in spec.items():
        values[key] = w.ids[value] if isinstance(value, str) and value in w.ids else value
    return values


def _code(w: World) -> dict:
    return {"code": w.code}


def _actions(w: World, route: dict, actions: list[tuple]) -> list[Call]:
    """POSTs to `<action>` URLs: (action, data) or (action, data, True) when the data names session objects."""
    return [
        Call("POST", {**_kwargs(w, route), "action": action[0]}, action[1], foreign_data=len(action) > 2)
        for action in actions
    ]


def _draft_plan(w: World) -> None:
    """Ada's plan back to a draft with no reviews, so she may edit and submit it."""
    PeerReview.objects.filter(plan__participant=w.ada).delete()
    ActionPlan.objects.filter(participant=w.ada).update(status=PlanStatus.DRAFT, submitted_at=None)


def _last_phase(w: World) -> None:
    control.go_to(w.session, w.session.phases.count() - 1)


def _self_select(w: World) -> None:
    Grouping.objects.filter(session=w.session).update(strategy=GroupingStrategy.SELF_SELECT)


def _ratings(w: World) -> dict:
    return {f"domain-{domain.pk}": 4 for domain in w.session.lesson.domains.all()}


def _version(w: World, model, **lookup) -> int:
    return model.objects.filter(**lookup).values_list("version", flat=True).first() or 0


RECIPES: dict[str, Recipe] = {
    # --- Facilitator screens and their live regions
    "facilitation:dashboard": Recipe(FACILITATOR, get()),
    "facilitation:dashboard_live": Recipe(FACILITATOR, get()),
    "facilitation:projector": Recipe(FACILITATOR, get()),
    "facilitation:qr": Recipe(FACILITATOR, get()),
    "facilitation:join_address": Recipe(
        FACILITATOR,
        lambda w: [Call("POST", _code(w), {"address": "http://testserver"})],
        unchanged_because="the join address shown is a preference of the facilitator's browser, not session data",
    ),
    "facilitation:control": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {},
            [
                ("pause", {}),
                ("resume", {}),
                ("next", {}),
                ("previous", {}),
                ("rebalance", {}),
                ("dismiss-rebalance", {}),
                ("extend", {"minutes": 5}),
                ("goto", {"index": 0}),
                ("start", {}),
                ("end", {}),
            ],
        ),
    ),
    "facilitation:report": Recipe(
        FACILITATOR, lambda w: [Call("GET", _code(w)), Call("GET", _code(w), {"names": "1"})]
    ),
    "facilitation:report_pdf": Recipe(FACILITATOR, get()),
    "facilitation:report_csv": Recipe(
        FACILITATOR,
        lambda w: [Call("GET", {**_code(w), "dataset": name}) for name in _dataset_names()],
    ),
    "facilitation:learner_data": Recipe(
        FACILITATOR,
        lambda w: [
            Call("GET", _code(w)),
            Call("POST", _code(w), {"action": "anonymise", "confirm": w.code}),
            Call("POST", _code(w), {"action": "delete", "confirm": w.code}),
        ],
    ),
    "facilitation:lesson_timing": Recipe(STAFF, lambda w: [Call("GET", {"slug": w.session.lesson.slug})]),
    "facilitation:sessions": Recipe(
        ACCOUNT,
        lambda w: [Call("GET", {}), Call("POST", {}, {"lesson": w.session.lesson_id, "title": "Cohort 4"})],
    ),
    # --- Wall
    "facilitation:wall_authors": Recipe(
        FACILITATOR,
        lambda w: [Call("POST", _code(w), {"show": "1"})],
        unchanged_because="showing authors is a preference of the facilitator's browser, not session data",
    ),
    "facilitation:wall_control": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {},
            [
                ("close-voting", {}),
                ("open", {}),
                ("close", {}),
                ("anonymous", {}),
                ("named", {}),
                ("sort-votes", {}),
                ("sort-time", {}),
                ("open-voting", {"votes": 2}),
                ("prompt", {"prompt": "What else?"}),
            ],
        ),
    ),
    "facilitation:wall_create_cluster": Recipe(
        FACILITATOR, lambda w: [Call("POST", _code(w), {"name": "New theme"})]
    ),
    "facilitation:wall_cluster": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {"cluster_id": "cluster"},
            [("rename", {"name": "Renamed"}), ("merge", {"cluster": w.ids["second_cluster"]}, True)],
        ),
    ),
    "facilitation:wall_note": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {"note_id": "note"},
            [("hide", {}), ("restore", {}), ("move", {"cluster": w.ids["cluster"]}, True)],
        ),
    ),
    # --- Polls
    "facilitation:poll_create": Recipe(
        FACILITATOR,
        lambda w: [
            Call(
                "POST",
                _code(w),
                {"kind": "words", "question": "One more word?", "scale_min": 1, "scale_max": 5, "open": "1"},
            )
        ],
    ),
    "facilitation:poll_use_prepared": Recipe(
        FACILITATOR, lambda w: [Call("POST", _kwargs(w, {"prepared_id": "prepared"}), {})]
    ),
    "facilitation:poll_action": Recipe(
        FACILITATOR,
        lambda w: [
            *_actions(
                w,
                {"poll_id": "poll"},
                [("reveal", {}), ("hide-results", {}), ("show", {}), ("take-down", {}), ("close", {})],
            ),
            *_actions(w, {"poll_id": "draft_poll"}, [("open", {}), ("delete", {})]),
        ],
    ),
    "facilitation:poll_csv": Recipe(FACILITATOR, get()),
    # --- Worksheet
    "facilitation:worksheet_panel": Recipe(FACILITATOR, lambda w: [Call("GET", _code(w), {"view": "role"})]),
    "facilitation:worksheet_projector_toggle": Recipe(
        FACILITATOR, lambda w: _actions(w, {}, [("show", {}), ("hide", {})])
    ),
    # --- Groups
    "facilitation:group_create": Recipe(
        FACILITATOR, lambda w: [Call("POST", _code(w), {"strategy": "random", "by": "count", "number": 2})]
    ),
    "facilitation:group_control": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {},
            [
                ("message", {"text": "Five minutes left"}),
                ("move", {"participant": w.cy.pk, "group": w.ids["group_one"]}, True),
                ("observe", {"text": "Lively", "participant": w.ada.pk}, True),
                ("present-next", {}),
                ("present-stop", {}),
                ("default-categories", {}),
                ("discard", {}),
            ],
        ),
    ),
    "facilitation:group_look_in": Recipe(FACILITATOR, get(group_id="group_one")),
    "facilitation:group_action": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w,
            {"group_id": "group_one"},
            [
                ("rename", {"name": "The A team"}),
                ("case", {"case_study": w.ids["case"]}),
                ("link", {"meeting_url": "https://meet.example.org/other"}),
                ("categories", {"categories": [w.ids["category"]]}),
                ("message", {"text": "Time to wrap up"}),
                ("observe", {"text": "Quiet group"}),
                ("present", {}),
            ],
        ),
    ),
    # --- Explain
    "facilitation:explain_slide": Recipe(
        FACILITATOR,
        lambda w: _actions(
            w, {}, [("next", {}), ("previous", {}), ("stop", {}), ("start", {}), ("goto", {"index": 0})]
        ),
    ),
    "facilitation:explain_highlight": Recipe(
        FACILITATOR, lambda w: [Call("POST", _code(w), {"component": w.ids["component"]})]
    ),
    "facilitation:explain_question": Recipe(
        FACILITATOR,
        lambda w: _actions(w, {"question_id": "question"}, [(action, {}) for action in slides.MODERATION]),
    ),
    # --- Evaluate
    "facilitation:plan_all_pdf": Recipe(FACILITATOR, get()),
    "facilitation:plan_assess": Recipe(
        FACILITATOR,
        lambda w: [
            Call("GET", _kwargs(w, {"plan_id": "ada_plan"})),
            Call(
                "POST",
                _kwargs(w, {"plan_id": "ada_plan"}),
                {f"c{w.ids['criterion']}": 2, "comment": "Needs owners"},
            ),
        ],
    ),
    "facilitation:review_allocate": Recipe(
        FACILITATOR, lambda w: [Call("POST", _code(w), {"k": 2, "avoid_same_group": ""})]
    ),
    "facilitation:review_release": Recipe(FACILITATOR, lambda w: [Call("POST", _code(w), {"release": "1"})]),
    "facilitation:review_nudge": Recipe(
        FACILITATOR, lambda w: [Call("POST", _kwargs(w, {"review_id": "ada_review"}), {"message": "Soon?"})]
    ),
    "facilitation:review_reassign": Recipe(
        FACILITATOR, lambda w: [Call("POST", _kwargs(w, {"review_id": "ada_review"}), {})]
    ),
    # --- Support
    "facilitation:support_panel": Recipe(FACILITATOR, get()),
    "facilitation:support_handle": Recipe(
        FACILITATOR, lambda w: _actions(w, {"request_id": "help"}, [("coming", {}), ("done", {})])
    ),
    "facilitation:support_reflection": Recipe(
        FACILITATOR,
        lambda w: [
            Call("GET", _code(w)),
            Call("POST", _code(w), {f"item-{w.ids['facilitator_item']}": "It ran long."}),
        ],
    ),
    # --- Learner pages
    "facilitation:learner": Recipe(LEARNER, get()),
    "facilitation:wall_post_note": Recipe(
        LEARNER, lambda w: [Call("POST", _code(w), {"text": "Budgets are hidden", "colour": "pink"})]
    ),
    "facilitation:wall_vote": Recipe(
        LEARNER,
        lambda w: [
            Call("POST", _kwargs(w, {"note_id": "note"}), {}),
            Call("POST", _kwargs(w, {"note_id": "note"}), {"action": "remove"}),
        ],
    ),
    "facilitation:poll_answer": Recipe(
        LEARNER,
        lambda w: [Call("POST", _kwargs(w, {"poll_id": "poll"}), {"text": "Nobody owns the data"})],
        htmx_refusal=200,
    ),
    "facilitation:worksheet_page": Recipe(LEARNER, get()),
    "facilitation:worksheet_item": Recipe(LEARNER, get(item_id="item")),
    "facilitation:worksheet_save": Recipe(
        LEARNER,
        lambda w: [
            Call(
                "POST",
                _kwargs(w, {"item_id": "item"}),
                {
                    "severity": 2,
                    "comment": "Better now",
                    "version": _version(w, worksheets.WorksheetAnswer, participant=w.ada),
                },
            )
        ],
    ),
    "facilitation:group_choose": Recipe(
        LEARNER, lambda w: [Call("POST", _kwargs(w, {"group_id": "group_two"}), {})], prepare=_self_select
    ),
    "facilitation:group_field": Recipe(
        LEARNER,
        lambda w: [
            Call(
                "POST",
                {**_code(w), "key": "evidence"},
                {
                    "value": "The forecast broke",
                    "version": _version(w, groups.GroupField, group_id=w.ids["group_one"], key="evidence"),
                    "client": "tab-1",
                },
            )
        ],
    ),
    "facilitation:group_annotate": Recipe(
        LEARNER,
        lambda w: [
            Call("POST", _code(w), {"quote": "the data team", "start": 12, "comment": "Who told them?"})
        ],
    ),
    "facilitation:group_annotation_remove": Recipe(
        LEARNER, lambda w: [Call("POST", _kwargs(w, {"annotation_id": "annotation"}), {})], own=True
    ),
    "facilitation:group_note": Recipe(
        LEARNER, lambda w: [Call("POST", _code(w), {"text": "Ask finance", "colour": "yellow"})]
    ),
    "facilitation:explain_ask": Recipe(
        LEARNER, lambda w: [Call("POST", _code(w), {"text": "Who owns the bill?"})]
    ),
    "facilitation:explain_vote": Recipe(
        LEARNER, lambda w: [Call("POST", _kwargs(w, {"question_id": "question"}), {})]
    ),
    "facilitation:plan_page": Recipe(LEARNER, get()),
    "facilitation:plan_save": Recipe(
        LEARNER,
        lambda w: [
            Call(
                "POST",
                _code(w),
                {
                    "field": "goal",
                    "goal": "Cut cloud costs by a fifth",
                    "v-goal": _version(w, action_plan.PlanAnswer, plan__participant=w.ada, field__key="goal"),
                },
            )
        ],
        prepare=_draft_plan,
    ),
    "facilitation:plan_submit": Recipe(LEARNER, lambda w: [Call("POST", _code(w), {})], prepare=_draft_plan),
    "facilitation:plan_reopen": Recipe(
        LEARNER,
        lambda w: [Call("POST", _code(w), {})],
        prepare=lambda w: PeerReview.objects.filter(plan__participant=w.ada).delete(),
    ),
    "facilitation:plan_pdf": Recipe(LEARNER, get()),
    "facilitation:review_page": Recipe(
        LEARNER,
        lambda w: [
            Call("GET", _kwargs(w, {"review_id": "ada_review"})),
            Call(
                "POST",
                _kwargs(w, {"review_id": "ada_review"}),
                {f"c{w.ids['criterion']}": 3, "strengths": "Clear goal", "suggestion": "Add a date"},
            ),
        ],
        own=True,
    ),
    "facilitation:support_ask": Recipe(
        LEARNER, lambda w: [Call("POST", _code(w), {"message": "Still stuck"})]
    ),
    "facilitation:support_cancel": Recipe(LEARNER, lambda w: [Call("POST", _code(w), {})]),
    "facilitation:support_rate": Recipe(
        LEARNER,
        lambda w: [
            Call("POST", {**_code(w), "moment": "before"}, _ratings(w)),
            Call("POST", {**_code(w), "moment": "after"}, _ratings(w)),
        ],
    ),
    "facilitation:support_reflect": Recipe(
        LEARNER,
        lambda w: [Call("POST", _code(w), {f"item-{w.ids['reflection_item']}": "Talk to finance"})],
        prepare=_last_phase,
    ),
    # --- Signed-in facilitators' own account pages
    "password_change": Recipe(
        ACCOUNT,
        lambda w: [
            Call("GET", {}),
            Call("POST", {}, {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}),
        ],
        unchanged_because="a wrong old password changes nothing; changing it is Django's own, tested there",
    ),
    "password_change_done": Recipe(ACCOUNT, lambda w: [Call("GET", {})]),
}


def _dataset_names() -> list[str]:
    from facilitation.report import dataset_names

    return dataset_names()


# URLs anyone may open, and why. Each is still opened by a stranger below: no learner data may show.
PUBLIC: dict[str, tuple[str, Callable[[World], list[Call]]]] = {
    "home": ("the landing page: join a session or sign in", lambda w: [Call("GET", {})]),
    "healthz": (
        "a load balancer's health check; says only whether services answer",
        lambda w: [Call("GET", {})],
    ),
    "login": ("signing in", lambda w: [Call("GET", {})]),
    "logout": ("signing out needs no rights", lambda w: [Call("POST", {}, {})]),
    "password_reset": ("Django's password reset form", lambda w: [Call("GET", {})]),
    "password_reset_done": ("Django's password reset notice", lambda w: [Call("GET", {})]),
    "password_reset_confirm": (
        "the reset link's token is the credential",
        lambda w: [Call("GET", {"uidb64": "MQ", "token": "not-a-valid-token"})],
    ),
    "password_reset_complete": ("Django's password reset notice", lambda w: [Call("GET", {})]),
    "lessons:list": ("lesson plans are published material, no session data", lambda w: [Call("GET", {})]),
    "lessons:detail": (
        "lesson plans are published material, no session data",
        lambda w: [Call("GET", {"slug": w.session.lesson.slug})],
    ),
    "lessons:guide_pdf": (
        "the printable facilitator guide of a published lesson plan",
        lambda w: [Call("GET", {"slug": w.session.lesson.slug})],
    ),
    "facilitation:join": (
        "the code form: anyone may try a code (rate-limited)",
        lambda w: [Call("GET", {}), Call("GET", {}, {"code": w.code})],
    ),
    "facilitation:join_code": (
        "holding the code is the invitation: it shows the session's title and the join form, nobody's data",
        lambda w: [
            Call("GET", {"code": w.code}),
            Call("POST", {"code": w.code}, {"name": "", "experience": "novice", "role": "data"}),
        ],
    ),
    "media/<path:path>": (
        "files authors upload in admin (slide images); no learner uploads exist",
        lambda w: [Call("GET", {"path": "slides/none.png"}), Call("GET", {"path": "../db.sqlite3"})],
    ),
}
# Whole namespaces with their own access checks.
EXCLUDED_NAMESPACES = {
    "admin": "Django admin checks staff status and model permissions itself (sampled in "
    "test_django_admin_keeps_facilitators_without_permissions_out)",
}


# --- Machinery ------------------------------------------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield namespace, name or route, route


def url_keys() -> dict[str, str]:
    """Every URL of the site outside the excluded namespaces: {name (or route when unnamed): route}."""
    return {
        key: route
        for namespace, key, route in _walk(get_resolver())
        if (namespace or "").split(":")[0] not in EXCLUDED_NAMESPACES
    }


def url_for(name: str, kwargs: dict) -> str:
    if name == "media/<path:path>":
        return "/media/" + kwargs["path"]
    return reverse(name, kwargs=kwargs)


def send(client: Client, name: str, call: Call, code: str | None = None):
    kwargs = {**call.kwargs, "code": code} if code and "code" in call.kwargs else call.kwargs
    url = url_for(name, kwargs)
    if call.method == "GET":
        return client.get(url, call.data or {})
    return client.post(url, call.data or {}, headers=HX)


def _path_to_session(model, depth: int = 0) -> str | None:
    """The ORM path from `model` to its LiveSession ("session", "plan__session" ...), None for lesson data."""
    if model is LiveSession:
        return "pk"
    if depth > 3:
        return None
    relations = [f for f in model._meta.fields if f.is_relation and (f.many_to_one or f.one_to_one)]
    for f in relations:
        if f.related_model is LiveSession:
            return f.name
    for f in relations:
        if f.related_model._meta.app_label == "facilitation":
            rest = _path_to_session(f.related_model, depth + 1)
            if rest is not None:
                return f"{f.name}__{rest}" if rest != "pk" else f.name
    return None


STORED_MODELS = [
    (model, _path_to_session(model))
    for model in apps.get_models(include_auto_created=True)
    if model._meta.app_label in {"facilitation", "lessons"}
]


@lru_cache(maxsize=8)
def _snapshot_queries(session_pk: int | None) -> tuple:
    """One compiled SELECT per table (compiling through the ORM for every snapshot would dominate the run)."""
    queries = []
    for model, path in STORED_MODELS:
        rows = model._default_manager.all()
        if session_pk is not None and path is not None:
            rows = rows.filter(**{path: session_pk})
        sql, params = rows.order_by("pk").values_list().query.sql_with_params()
        queries.append((model._meta.label, sql, params))
    return tuple(queries)


def stored(session: LiveSession | None = None) -> list:
    """Everything stored about `session` (rows reaching it through foreign keys) and all lesson data; with no
    session, every row of both apps."""
    snapshot = []
    with connection.cursor() as cursor:
        for label, sql, params in _snapshot_queries(session.pk if session else None):
            cursor.execute(sql, params)
            snapshot.append((label, cursor.fetchall()))
    return snapshot


def changed_models(before: list, after: list) -> list[str]:
    return [label for (label, rows), (_, later) in zip(before, after, strict=True) if rows != later]


def _writes() -> int | None:
    """SQLite counts every row written on the connection: a cheap way to know nothing was written at all."""
    connection.ensure_connection()
    return getattr(connection.connection, "total_changes", None)


def isolated(action: Callable[[], object]):
    """Run `action` in a savepoint that is rolled back: each request meets the same world."""
    with transaction.atomic():
        result = action()
        transaction.set_rollback(True)
    return result


def redirect_path(response) -> str:
    return urlsplit(response["Location"]).path if response.status_code in (301, 302) else ""


def leaked(response, markers) -> list[str]:
    body = response.content.decode(errors="replace")
    return [marker for marker in markers if marker in body]


def describe(who: str, name: str, call: Call) -> str:
    extra = {k: v for k, v in call.kwargs.items() if k != "code"}
    return f"{who} {call.method} {name} {extra or ''}".rstrip()


def attempt(world: World, who: str, name: str, call: Call, *, code: str | None = None):
    """One request in a rolled-back savepoint: (response, models of the victim session it changed). The
    snapshot of the victim session is compared only when something was written at all."""

    def run():
        writes = _writes()
        response = send(world.clients[who], name, call, code=code)
        if writes is not None and writes == _writes():
            return response, []
        return response, changed_models(world.stored, stored(world.session))

    return isolated(run)


LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _refusal_problem(world: World, kind: str, who: str, response) -> str:
    """'' when the response refuses `who` the way `kind` of URL should; otherwise what is wrong."""
    status, path = response.status_code, redirect_path(response)
    if kind in (FACILITATOR, ACCOUNT) and who != "outsider" or kind == FACILITATOR and who == "outsider":
        if who == "outsider":
            return "" if status == 404 else f"answered {status}, expected 404"
        return "" if path == LOGIN else f"answered {status} {path}, expected a redirect to sign in"
    if kind == STAFF:
        return "" if path == ADMIN_LOGIN else f"answered {status} {path}, expected the admin sign-in"
    if kind == LEARNER:
        join = reverse("facilitation:join_code", args=[world.code])
        return "" if status == 404 or path == join else f"answered {status} {path}, expected 404 or join"
    return f"no rule for {kind}"


def _attackers(kind: str) -> tuple[str, ...]:
    if kind == LEARNER:
        return ("stranger", "eve", "outsider")
    if kind == ACCOUNT:
        return ("stranger", "eve", "ada")
    return ("stranger", "eve", "ada", "outsider")


def _problems_of(response, changed, markers, refusal: str) -> list[str]:
    problems = []
    if refusal:
        problems.append(refusal)
    if response.status_code >= 500:
        problems.append(f"server error {response.status_code}")
    if changed:
        problems.append(f"changed {changed}")
    if found := leaked(response, markers):
        problems.append(f"leaked {found}")
    return problems


# --- The matrix ---------------------------------------------------------------------------------------------


def test_every_url_has_an_entry_in_the_matrix():
    """A new URL fails here until it gets a recipe (or is declared public with a reason)."""
    keys = set(url_keys())
    assert sorted(keys - set(RECIPES) - set(PUBLIC)) == [], "URLs without a matrix entry"
    assert sorted((set(RECIPES) | set(PUBLIC)) - keys) == [], "matrix entries for URLs that no longer exist"
    assert set(RECIPES).isdisjoint(PUBLIC)
    assert all(reason for reason, _ in PUBLIC.values())


def test_strangers_other_sessions_and_other_facilitators_are_refused_everywhere(world):
    """Against the victim session's code: a stranger, a learner of another session, a facilitator of another
    session, and (on facilitator URLs) the session's own learner."""
    problems, tried = [], 0
    for name, recipe in RECIPES.items():
        for call in recipe.calls(world):
            for who in _attackers(recipe.kind):
                response, changed = attempt(world, who, name, call)
                refusal = _refusal_problem(world, recipe.kind, who, response)
                tried += 1
                for problem in _problems_of(response, changed, EVERY_MARKER, refusal):
                    problems.append(f"{describe(who, name, call)}: {problem}")
    assert problems == []
    assert tried > 400


def test_ids_of_another_session_are_refused_through_ones_own_session(world):
    """The other session's own learner and facilitator, through *their* session's code, naming objects of the
    victim session (a note, a poll, a group, a plan, a review, a help request, a participant ...)."""
    problems, tried = [], 0
    for name, recipe in RECIPES.items():
        who = {LEARNER: "eve", FACILITATOR: "outsider"}.get(recipe.kind)
        for call in recipe.calls(world):
            if who is None or not call.names_objects:
                continue
            response, changed = attempt(world, who, name, call, code=world.other.code)
            status = response.status_code
            refusal = "" if status in (400, 403, 404, 409) else f"answered {status}, expected a 4xx refusal"
            tried += 1
            for problem in _problems_of(response, changed, EVERY_MARKER, refusal):
                problems.append(f"{describe(who, name, call)} via their own session: {problem}")
    assert problems == []
    assert tried > 30


def test_another_learner_of_the_session_sees_only_their_own_things_and_group(world):
    """Cy joined the same session but is in the other breakout group: every learner URL shows Cy their own
    things, never Ada's worksheet, plan, help request or reflection, nor her group's work; URLs naming Ada's
    review or her group's annotation are refused."""
    problems = []
    for name, recipe in RECIPES.items():
        if recipe.kind != LEARNER:
            continue
        for call in recipe.calls(world):
            response, changed = attempt(world, "cy", name, call)
            refusal = ""
            if recipe.own and response.status_code not in (403, 404, 409):
                refusal = f"answered {response.status_code} for someone else's {name}"
            if not recipe.own:
                changed = []  # Cy's own work changes: that is theirs to change
            for problem in _problems_of(response, changed, PRIVATE_FROM_CY, refusal):
                problems.append(f"{describe('cy', name, call)}: {problem}")
    assert problems == []


@pytest.mark.parametrize(
    ("who", "name", "kwargs", "marker"),
    [
        ("ada", "facilitation:worksheet_page", {}, "worksheet"),
        ("ada", "facilitation:plan_page", {}, "plan_ada"),
        ("ada", "facilitation:review_page", {"review_id": "ada_review"}, "plan_bo"),
        ("ada", "facilitation:learner", {}, "help"),
        ("bo", "facilitation:learner", {}, "analysis"),
        ("bo", "facilitation:learner", {}, "annotation"),
        ("bo", "facilitation:learner", {}, "group_note"),
        ("owner", "facilitation:dashboard", {}, "observation"),
        ("owner", "facilitation:report", {"names": "1"}, "ada"),
    ],
)
def test_the_markers_do_show_to_the_people_they_belong_to(world, who, name, kwargs, marker):
    """The counterpart of the refusals: the planted data is on the pages of those it belongs to, so a marker
    missing from a refused page means something."""
    query = {"names": kwargs.pop("names")} if "names" in kwargs else {}
    response = send(world.clients[who], name, Call("GET", _kwargs(world, kwargs), query))
    assert response.status_code == 200
    assert M[marker] in response.content.decode()


def _user_of(recipe: Recipe) -> str:
    return recipe.user or ("ada" if recipe.kind == LEARNER else "owner")


def _try_as_user(world: World, name: str, recipe: Recipe, method: str):
    """Prepare the world, then send the recipe's first call of `method` as its user (any call of the URL
    with `method` swapped in when the recipe has none, to see it refused)."""
    if recipe.prepare:
        recipe.prepare(world)
        world.refresh()
    calls = recipe.calls(world)
    call = next((c for c in calls if c.method == method), None) or Call(method, calls[0].kwargs, {})
    before = stored()
    response = send(world.clients[_user_of(recipe)], name, call)
    return call, response, changed_models(before, stored())


def test_each_recipe_works_for_the_person_it_is_meant_for(world):
    """The owner (or the learner) gets a 2xx or a redirect to a page of the site for the first call of each
    method; a POST changes what is stored (unless the recipe says why not); other methods answer 405."""
    problems = []
    for name, recipe in RECIPES.items():
        methods = {call.method for call in recipe.calls(world)}
        for method in ("GET", "POST"):
            call, response, changed = isolated(partial(_try_as_user, world, name, recipe, method))
            world.refresh()
            status, path = response.status_code, redirect_path(response)
            label = describe(_user_of(recipe), name, call)
            if method not in methods:
                if status != 405:
                    problems.append(
                        f"{label}: answered {status}, expected 405 (add the method to the recipe)"
                    )
            elif (
                status not in (200, 201, 204, 302)
                or path in (LOGIN, ADMIN_LOGIN)
                or path.startswith("/join/")
            ):
                problems.append(f"{label}: answered {status} {path}: {response.content.decode()[:300]}")
            elif method == "POST" and not changed and not recipe.unchanged_because:
                problems.append(f"{label}: answered {status} but changed nothing")
    assert problems == []


def test_signed_in_facilitators_see_only_their_own_account_and_sessions(world):
    for name, recipe in RECIPES.items():
        if recipe.kind != ACCOUNT:
            continue
        for call in recipe.calls(world):
            if call.method != "GET":
                continue
            response = send(world.clients["outsider"], name, call)
            assert response.status_code == 200, name
            assert leaked(response, EVERY_MARKER) == [], name


def test_public_urls_show_no_learner_data(world):
    for name, (_, calls) in PUBLIC.items():
        for call in calls(world):
            response = isolated(lambda name=name, call=call: send(world.clients["stranger"], name, call))
            assert response.status_code < 500, describe("stranger", name, call)
            assert leaked(response, LEARNER_DATA) == [], describe("stranger", name, call)
    traversal = send(world.clients["stranger"], "media/<path:path>", Call("GET", {"path": "../db.sqlite3"}))
    assert traversal.status_code in (400, 404)


def test_django_admin_keeps_facilitators_without_permissions_out(world):
    """Facilitators are staff users; without model permissions the admin shows them nothing."""
    assert redirect_path(world.clients["outsider"].get("/admin/")) == ADMIN_LOGIN
    assert redirect_path(world.clients["stranger"].get("/admin/facilitation/preparedpoll/")) == ADMIN_LOGIN
    teammate = _signed_in(make_user(username="staff-without-permissions"))
    assert teammate.get("/admin/facilitation/preparedpoll/").status_code == 403
    index = teammate.get("/admin/")
    assert index.status_code == 200 and leaked(index, EVERY_MARKER) == []


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    """The world joins several learners from one address; rate limits have tests of their own. A fast password
    hasher: building the world signs up three users."""
    settings.JOIN_RATE = "10000/m"
    settings.WALL_NOTE_RATE = settings.EXPLAIN_QUESTION_RATE = settings.SUPPORT_HELP_RATE = "10000/m"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()


@pytest.fixture
def world() -> World:
    return build_world()


# --- Ended sessions -----------------------------------------------------------------------------------------

# What a learner may still do once the session has ended, and why.
AFTER_THE_END = {
    ("facilitation:support_reflect", ""): "the exit reflection is written at the end, also after it",
    ("facilitation:support_rate", "after"): "the end-of-session self-assessment stays open after the end",
}


def _after_end(world: World, name: str, recipe: Recipe, call: Call):
    if recipe.prepare:
        recipe.prepare(world)
    world.refresh()
    control.end(world.session)
    world.refresh()
    before = stored(world.session)
    response = send(world.clients[_user_of(recipe)], name, call)
    return response, changed_models(before, stored(world.session))


def test_an_ended_session_takes_no_more_work_from_its_learners(world):
    """Ada joined before the end; afterwards every learner action is refused with a message and stores
    nothing, except what is meant for the end (the exit reflection and the final self-assessment)."""
    problems, allowed = [], 0
    for name, recipe in RECIPES.items():
        if recipe.kind != LEARNER:
            continue
        for call in recipe.calls(world):
            if call.method != "POST":
                continue
            response, changed = isolated(partial(_after_end, world, name, recipe, call))
            world.refresh()
            label = describe(_user_of(recipe), name, call)
            if (name, call.kwargs.get("moment", "")) in AFTER_THE_END:
                allowed += 1
                if response.status_code != 200 or not changed:
                    problems.append(f"{label}: meant to work after the end, answered {response.status_code}")
                continue
            if response.status_code not in (400, 403, 404, 409, recipe.htmx_refusal):
                problems.append(f"{label}: answered {response.status_code} after the end")
            elif not response.content.strip():
                problems.append(f"{label}: refused without a message")
            if changed:
                problems.append(f"{label}: changed {changed} after the end")
    assert problems == [], "\n".join(problems)
    assert allowed == len(AFTER_THE_END)


def test_the_code_of_an_ended_session_stops_working(world):
    control.end(world.session)
    stranger = world.clients["stranger"]
    typed = stranger.get(reverse("facilitation:join"), {"code": world.code})
    assert typed.status_code == 400
    assert "No open session has this code" in typed.content.decode()
    form = {"name": "Late Larry", "experience": "novice", "role": "data", "acknowledge": "on"}
    posted = stranger.post(reverse("facilitation:join_code", args=[world.code]), form)
    assert posted.status_code == 404
    assert "it may have ended" in posted.content.decode()
    assert not Participant.objects.filter(name="Late Larry").exists()
    # Someone who joined keeps their page, which says it is over.
    page = world.clients["ada"].get(reverse("facilitation:learner", args=[world.code]))
    assert page.status_code == 200
    assert leaked(page, [M["bo"], M["cy"]]) == []


# --- Websocket pushes across groups and sessions --------------------------------------------------------------
# Who may open the socket at all (strangers, other sessions' learners, other facilitators on ?view=dashboard or
# projector, foreign or missing Origin, oversized frames) is tested in tests/live/test_consumers.py.


async def _drain(communicator, quiet: float = 0.6) -> list[str]:
    """Every frame that arrives until the socket stays quiet (a timeout would close the communicator)."""
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_from())
    return frames


@pytest.mark.django_db(transaction=True)
def test_a_learner_receives_the_pushes_of_their_own_session_and_group_only(asgi_app, world):  # noqa: F811
    """Ada (group one) and Cy (group two) of the victim session, Eve of the other session and the other
    session's facilitator are connected. A probe is sent to every Channels group of both sessions, then real
    work happens in each group and in the other session: each socket gets exactly its own."""
    session, other = world.session, world.other
    one = BreakoutGroup.objects.get(pk=world.ids["group_one"])
    two = BreakoutGroup.objects.get(pk=world.ids["group_two"])
    audiences = {
        "ada": {session.group_all, session.group_level("novice"), world.ada.group_name, one.channel_group},
        "cy": {session.group_all, session.group_level("experienced"), world.cy.group_name, two.channel_group},
        "eve": {other.group_all, other.group_level("novice"), world.eve.group_name},
        "outsider": {other.group_facilitators},
    }
    every_group = set().union(*audiences.values()) | {
        session.group_facilitators,
        session.group_projector,
        world.bo.group_name,
        other.group_projector,
        other.group_level("experienced"),
    }
    sockets = {
        "ada": socket(asgi_app, session.code, cookie=learner_cookie(world.ada)),
        "cy": socket(asgi_app, session.code, cookie=learner_cookie(world.cy)),
        "eve": socket(asgi_app, other.code, cookie=learner_cookie(world.eve)),
        "outsider": socket(asgi_app, other.code, cookie=facilitator_cookie(world.outsider), view="dashboard"),
    }

    def work():
        groups.post_note(world.bo, one, text="zq-ws-group-one-note", colour="yellow")
        groups.post_note(world.cy, two, text="zq-ws-group-two-note", colour="yellow")
        groups.send_message(session, "zq-ws-message-to-one", one.pk)
        note = wall.post_note(world.eve, text="zq-ws-other-session-note", colour="yellow")
        wall.push_new_notes(other.pk, [note.pk])  # however the wall coalesces its own pushes
        support.ask(world.ada, "zq-ws-help-for-facilitators")

    async def scenario():
        try:
            for communicator in sockets.values():
                assert (await communicator.connect())[0]
            for group in sorted(every_group):
                await database_sync_to_async(broadcast.send)(group, f'<div id="probe">probe:{group}:</div>')
            await database_sync_to_async(work)()
            return {who: await _drain(communicator) for who, communicator in sockets.items()}
        finally:
            for communicator in sockets.values():
                await communicator.disconnect()

    received = async_to_sync(scenario)()
    for who, frames in received.items():
        probes = {match for frame in frames for match in re.findall(r"probe:([^:]+):", frame)}
        assert probes == audiences[who], who
    text = {who: "".join(frames) for who, frames in received.items()}
    assert "zq-ws-group-one-note" in text["ada"] and "zq-ws-message-to-one" in text["ada"]
    assert "zq-ws-group-two-note" in text["cy"]
    assert "zq-ws-other-session-note" in text["eve"]
    for who, foreign in {
        "ada": ["zq-ws-group-two-note", "zq-ws-other-session-note", "zq-ws-help-for-facilitators"],
        "cy": ["zq-ws-group-one-note", "zq-ws-message-to-one", "zq-ws-other-session-note", "zq-ws-help"],
        "eve": ["zq-ws-group-one-note", "zq-ws-group-two-note", "zq-ws-message-to-one", "zq-ws-help"],
        "outsider": ["zq-ws-group-one-note", "zq-ws-group-two-note", "zq-ws-message-to-one", "zq-ws-help"],
    }.items():
        assert [marker for marker in foreign if marker in text[who]] == [], who
