"""Plain keyword-only factories. `make_lesson` builds a complete 5-phase lesson without the markdown importer,
so tests of screens do not depend on the importer."""

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
    from facilitation.sessions import create_session

    lesson = lesson or Lesson.objects.first() or make_lesson()
    owner = owner or make_user()
    session = create_session(lesson=lesson, owner=owner)
    if started:
        from facilitation import control

        session = control.start(session)
    return session


def make_participant(*, session, name: str = "Ada", experience: str = "novice", role: str = "data"):
    from facilitation.sessions import add_participant

    return add_participant(session=session, name=name, experience=experience, role=role)
