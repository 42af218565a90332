"""Plain keyword-only factories. `make_lesson` builds a complete 5-phase lesson without the markdown importer,
so tests of screens do not depend on the importer."""

import secrets

from django.contrib.auth import get_user_model

from lessons.models import (
    ActionPlanField,
    AssessmentMethod,
    Audience,
    CaseStudy,
    ItemKind,
    LearningObjective,
    Lesson,
    LessonItem,
    ObstacleCategory,
    OpsDomain,
    Phase,
    PhaseTool,
    RubricCriterion,
    WorksheetItem,
)

FIVE_E = [
    ("Engage", 30, PhaseTool.WALL),
    ("Explore", 45, PhaseTool.CASE_STUDY),
    ("Explain", 45, PhaseTool.SLIDES),
    ("Elaborate", 45, PhaseTool.STRATEGY),
    ("Evaluate", 15, PhaseTool.ACTION_PLAN),
]


def make_user(*, username: str = "facilitator", password: str = "pw-for-tests-only", staff: bool = True):
    user = get_user_model().objects.create_user(username=username, password=password, is_staff=staff)
    user.raw_password = password
    return user


def make_lesson(
    *,
    title: str = "Integration Maze",
    slug: str = "integration-maze",
    phases=None,
    duration_minutes: int | None = None,
    materials: bool = True,
) -> Lesson:
    phases = phases or FIVE_E
    lesson = Lesson.objects.create(
        title=title,
        slug=slug,
        duration_minutes=duration_minutes or sum(minutes for _, minutes, _ in phases),
        target_audience="AI project managers, data scientists, and operations leaders",
    )
    for order, (name, minutes, tool) in enumerate(phases):
        Phase.objects.create(
            lesson=lesson,
            order=order,
            name=name,
            duration_minutes=minutes,
            facilitator_actions=f"{name}: facilitator actions.",
            learner_activities=f"{name}: learner activities.",
            resources_used=f"{name}: resources.",
            differentiation=f"{name}: differentiation.",
            technology_integration=f"{name}: technology.",
            tool=tool,
        )
    LearningObjective.objects.create(
        lesson=lesson, order=0, text="Analyze common obstacles", bloom_level="analyzing"
    )
    LearningObjective.objects.create(
        lesson=lesson, order=1, text="Design an action plan", bloom_level="creating"
    )
    AssessmentMethod.objects.create(
        lesson=lesson,
        order=0,
        kind="formative",
        description="Observation of group discussions",
        alignment="Assesses analysis in context",
    )
    AssessmentMethod.objects.create(
        lesson=lesson,
        order=1,
        kind="summative",
        description="Evaluation of individual action plans",
        alignment="Assesses creating strategies",
    )
    Audience.objects.create(
        lesson=lesson,
        order=0,
        key="novice",
        name="Novice AI professionals",
        strategy="Provide additional background reading and structured templates",
    )
    Audience.objects.create(
        lesson=lesson,
        order=1,
        key="experienced",
        name="Experienced AI leaders",
        strategy="Encourage deeper analysis and peer mentoring",
    )
    for kind in ItemKind.values:
        LessonItem.objects.create(
            lesson=lesson, kind=kind, order=0, text=f"First {kind.replace('_', ' ')} item"
        )
    if materials:
        _make_materials(lesson)
    return lesson


def _make_materials(lesson: Lesson) -> None:
    domains = [
        OpsDomain.objects.create(lesson=lesson, order=i, name=name)
        for i, name in enumerate(["DataOps", "MLOps", "FinOps"])
    ]
    silos = ObstacleCategory.objects.create(
        lesson=lesson,
        order=0,
        slug="silos",
        name="Organizational silos",
        explanation="Teams optimise locally.",
    )
    silos.domains.set(domains)
    cost = ObstacleCategory.objects.create(
        lesson=lesson,
        order=1,
        slug="cost-visibility",
        name="Cost visibility",
        explanation="Nobody sees what a model costs.",
    )
    cost.domains.set(domains[1:])
    WorksheetItem.objects.create(category=silos, order=0, prompt="Data and ML teams share a backlog.")
    WorksheetItem.objects.create(category=cost, order=0, prompt="Model costs are reported per team.")
    for order, complexity in enumerate(["introductory", "intermediate", "advanced"]):
        case = CaseStudy.objects.create(
            lesson=lesson,
            order=order,
            slug=f"case-{complexity}",
            title=f"A {complexity} case",
            scenario="Scenario text.",
            complexity=complexity,
            published=True,
        )
        case.categories.set([silos])
    ActionPlanField.objects.create(lesson=lesson, order=0, key="obstacle", label="Obstacle addressed")
    ActionPlanField.objects.create(lesson=lesson, order=1, key="goal", label="Goal")
    RubricCriterion.objects.create(lesson=lesson, order=0, name="Clarity", description="The plan is clear.")


def make_session(*, lesson: Lesson | None = None, owner=None, started: bool = False):
    from facilitation.joining import create_session

    lesson = lesson or Lesson.objects.first() or make_lesson()
    owner = owner or make_user()
    session = create_session(lesson=lesson, owner=owner)
    if started:
        from facilitation import control

        session = control.start(session)
    return session


def make_participant(*, session, name: str = "Ada", experience: str = "novice", role: str = "data"):
    from facilitation.joining import add_participant

    return add_participant(session=session, name=name, experience=experience, role=role)


def play_workshop(*, learners: int = 30, lesson: Lesson | None = None, owner=None, start=None):
    """A whole workshop with realistic data: every phase run (Engage over time), learners of mixed levels and
    roles, wall notes with clusters and votes, two polls, worksheets. Tools added later extend it."""
    from datetime import timedelta

    from django.utils import timezone

    from facilitation import control
    from facilitation.models import Cluster, Note, Poll, PollAnswer, PollStatus, Vote, WorksheetAnswer
    from lessons.models import WorksheetItem

    lesson = lesson or Lesson.objects.filter(slug="integration-maze").first() or make_lesson()
    owner = owner or make_user(username=f"owner-{secrets.token_hex(4)}")
    session = make_session(lesson=lesson, owner=owner)
    t0 = start or timezone.now() - timedelta(hours=3)
    session = control.start(session, now=t0)
    minutes = 0
    people = []
    levels, roles = ["novice", "experienced"], ["data", "ml", "finance", "operations", "management", "other"]
    for i in range(learners):
        person = make_participant(
            session=session, name=f"Learner {i}", experience=levels[i % 2], role=roles[i % 6]
        )
        person.joined_at = t0 + timedelta(minutes=i % 12)
        person.save(update_fields=["joined_at"])
        people.append(person)
    cluster = Cluster.objects.create(session=session, name="Silos")
    notes = [
        Note.objects.create(
            session=session,
            participant=p,
            text=f"Obstacle noted by {p.name}",
            cluster=cluster if n % 2 else None,
        )
        for n, p in enumerate(people[:10])
    ]
    for n, p in enumerate(people):
        Vote.objects.create(note=notes[n % len(notes)], participant=p)
    single = Poll.objects.create(
        session=session,
        number=1,
        kind="single",
        question="Which hurts most?",
        options_text="Silos\nCost",
        status=PollStatus.CLOSED,
    )
    words = Poll.objects.create(
        session=session, number=2, kind="words", question="One word?", status=PollStatus.CLOSED
    )
    items = list(WorksheetItem.objects.filter(category__lesson=lesson))
    for n, p in enumerate(people):
        PollAnswer.objects.create(poll=single, participant=p, choices=[n % 2])
        PollAnswer.objects.create(poll=words, participant=p, text=["silos", "cost", "trust"][n % 3])
        for item in items:
            WorksheetAnswer.objects.create(participant=p, item=item, severity=1 + (n + item.pk) % 5)
    _evaluate_and_reflect(session, people, t0)
    _groups(session)
    for index, planned in enumerate(
        session.phases.order_by("order").values_list("planned_seconds", flat=True)
    ):
        minutes += planned // 60 + (8 if index == 0 else 0)  # Engage runs 8 minutes over
        if index + 1 < session.phases.count():
            session = control.go_to(session, index + 1, now=t0 + timedelta(minutes=minutes))
    return control.end(session, now=t0 + timedelta(minutes=minutes))


def _evaluate_and_reflect(session, people, t0) -> None:
    """Plans, reviews, an assessment, help requests, confidence ratings and reflections for play_workshop."""
    from datetime import timedelta

    from facilitation.models import (
        ActionPlan,
        ConfidenceRating,
        HelpRequest,
        LearnerReflection,
        PeerReview,
        PlanAnswer,
        SummativeAssessment,
    )
    from lessons.models import ItemKind

    lesson = session.lesson
    fields = list(lesson.action_plan_fields.all())
    criteria = list(lesson.rubric_criteria.all())
    domains = list(lesson.domains.all())
    reflection_items = list(lesson.items.filter(kind=ItemKind.REFLECTION_LEARNER))
    plans = []
    for n, person in enumerate(people):
        plan = ActionPlan.objects.create(
            participant=person,
            session=session,
            status="submitted" if n % 4 else "draft",
            submitted_at=t0 + timedelta(minutes=170) if n % 4 else None,
        )
        PlanAnswer.objects.bulk_create(
            PlanAnswer(plan=plan, field=f, text=f"{f.label} of {person.name}", version=1) for f in fields
        )
        plans.append(plan)
        for domain in domains:
            ConfidenceRating.objects.create(
                session=session, participant=person, domain=domain, moment="before", value=1 + n % 3
            )
            ConfidenceRating.objects.create(
                session=session, participant=person, domain=domain, moment="after", value=2 + n % 4
            )
        for item in reflection_items:
            LearnerReflection.objects.create(
                session=session, participant=person, item=item, text=f"Reflection of {person.name}"
            )
    submitted = [plan for plan in plans if plan.status == "submitted"]
    for n, plan in enumerate(submitted):
        reviewer = people[(people.index(plan.participant) + 1) % len(people)]
        PeerReview.objects.create(
            plan=plan,
            reviewer=reviewer,
            status="submitted",
            scores={str(c.pk): 1 + (n + c.pk) % c.scale_max for c in criteria},
            strengths="Clear first steps",
            suggestion="Name an owner",
            submitted_at=t0 + timedelta(minutes=175),
        )
    if submitted:
        SummativeAssessment.objects.create(
            plan=submitted[0], scores={str(c.pk): 3 for c in criteria}, comment="Good"
        )
    for n, person in enumerate(people[:3]):
        HelpRequest.objects.create(
            session=session,
            participant=person,
            message=f"Help {n}",
            status="done",
            asked_at=t0 + timedelta(minutes=60 + n),
            handled_at=t0 + timedelta(minutes=63 + n),
            closed_at=t0 + timedelta(minutes=70),
        )


def _groups(session) -> None:
    """Mixed-experience groups with a filled analysis and strategy, and an observation, for play_workshop."""
    from facilitation.models import GroupField, Observation
    from facilitation.tools.groups.rules import create_grouping

    grouping = create_grouping(session, strategy="mixed", count=3, seed=7)
    for group in grouping.groups.all():
        GroupField.objects.create(group=group, key="evidence", value=f"Evidence found by {group.name}")
        GroupField.objects.create(group=group, key="strategy", value=f"Strategy of {group.name}")
        Observation.objects.create(session=session, group=group, text=f"{group.name} debated well")


def joined_client(session, name: str, experience: str = "novice", role: str = "data"):
    """A browser (test client) that joined `session` through the join form, and its participant."""
    from django.test import Client
    from django.urls import reverse

    from facilitation.models import Participant

    client = Client()
    client.post(
        reverse("facilitation:join_code", args=[session.code]),
        {"name": name, "experience": experience, "role": role, "acknowledge": "on"},
    )
    return client, Participant.objects.get(session=session, name=name)


def signed_in_client(user):
    """A browser (test client) signed in as `user`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def screen(tool: str, session, name: str, participant=None) -> str:
    """A tool's regions on one live screen, as a phase change pushes them and a resync over the socket answers
    them (the tool's `screens` module, facilitation/live/screens.py): `name` is "dashboard", "projector" or
    "learner" (then `participant`'s own). The session and the participant are read afresh, as a resync does."""
    from facilitation import tools
    from facilitation.models import LiveSession, Participant

    module = tools.get(tool).module("screens")
    fresh = LiveSession.objects.select_related("lesson").get(pk=session.pk)
    if name != "learner":
        return getattr(module, name)(fresh)
    learner = Participant.objects.get(pk=participant.pk)
    learner.session = fresh
    return module.learners(fresh, [learner])[learner.pk]
