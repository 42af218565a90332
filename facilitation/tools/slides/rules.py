"""The Explain phase live: presentation mode over the lesson's deck, the Wardley map with a highlighted
component, and Q&A with upvotes.

Who sees what
- Learners and the projector see the presentation while the current phase's tool is `slides`, or when the
  facilitator has started it (`Presentation.started`). The dashboard panel always shows it.
- A category slide shows the category's explanation, the domains it touches, the room's own worksheet
  results for it (`room_heatmap`) and, on learner screens, its additional resources for deeper dives: those
  without an audience key for everyone, the others only to learners of that experience level.
- Questions are anonymous by default: an anonymous question carries no name in any HTML, the facilitators'
  included (a learner who wants their name shown unticks "anonymous").

Pushes: one render per audience and change, after commit
- A slide change renders the facilitators' regions once, the projector's slide once, and the learners' slide
  once per experience level (the resources differ by level), sent to that level's group.
- A question change renders the facilitators' list, the projector's Q&A and the learners' list once each.
- A learner's own upvotes are not in the pushed list: the page keeps them in `#explain-my-votes`
  (`data-my-votes`), rendered on page load, in the response to their own vote and on resync; explain.js
  marks the pressed buttons from it.

The deck is the author's `SlideDeck` items in order, or by default one slide per obstacle category then the
Wardley map. A prepared poll in the deck is copied into the session and opened when reached (the polls module
does both and pushes the poll to every screen); reaching it again does not open a second copy.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from facilitation.first_write import get_or_create_locked
from facilitation.live import broadcast
from facilitation.live import regions as live_regions
from facilitation.models import (
    CategoryResource,
    DeckItem,
    DeckItemKind,
    FreeSlide,
    LiveSession,
    Participant,
    Poll,
    PollStatus,
    PreparedPoll,
    Presentation,
    Question,
    QuestionVote,
    SlideDeck,
    WardleyComponent,
    WardleyDependency,
    WardleyMap,
)
from facilitation.tools.polls import rules as polls
from facilitation.tools.slides import wardley
from facilitation.tools.worksheets.results import CategoryResult, room_heatmap
from lessons.models import Lesson, ObstacleCategory, OpsDomain, PhaseTool
from lessons.rendering import render_markdown

REGIONS = "facilitation/tools/slides/regions.html"
PANEL_REGIONS = ("explain_controls", "explain_current")
PANEL_QA_REGIONS = ("explain_questions",)
PROJECTOR_SLIDE = ("projector_explain_slide",)
PROJECTOR_QA = ("projector_explain_qa",)
LEARNER_SECTION = ("learner_explain",)
LEARNER_SLIDE = ("learner_explain_slide",)
LEARNER_QA = ("learner_explain_questions",)


class ExplainError(Exception):
    """A refused action, with a message for the person who tried it."""


# --- The deck -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slide:
    key: str  # stable within a lesson: "category-12", "free-3", "map", "poll-5"
    kind: str
    title: str
    category: ObstacleCategory | None = None
    free: FreeSlide | None = None
    prepared_poll: PreparedPoll | None = None


def _category_slide(category: ObstacleCategory) -> Slide:
    return Slide(f"category-{category.pk}", DeckItemKind.CATEGORY, category.name, category=category)


def _map_slide(wardley_map: WardleyMap) -> Slide:
    return Slide("map", DeckItemKind.MAP, wardley_map.title)


def deck(lesson: Lesson) -> list[Slide]:
    """The lesson's slides in order (two or three queries, whatever the deck's length)."""
    wardley_map = WardleyMap.objects.filter(lesson=lesson).first()
    items = list(
        DeckItem.objects.filter(deck__lesson=lesson).select_related("category", "free_slide", "prepared_poll")
    )
    if not items:
        slides = [_category_slide(c) for c in ObstacleCategory.objects.filter(lesson=lesson)]
        return slides + ([_map_slide(wardley_map)] if wardley_map else [])
    slides = []
    for item in items:
        if item.kind == DeckItemKind.CATEGORY and item.category:
            slides.append(_category_slide(item.category))
        elif item.kind == DeckItemKind.FREE and item.free_slide:
            slides.append(
                Slide(f"free-{item.free_slide_id}", item.kind, item.free_slide.title, free=item.free_slide)
            )
        elif item.kind == DeckItemKind.MAP and wardley_map:
            slides.append(_map_slide(wardley_map))
        elif item.kind == DeckItemKind.POLL and item.prepared_poll:
            poll = item.prepared_poll
            slides.append(Slide(f"poll-{poll.pk}", item.kind, poll.question, prepared_poll=poll))
    return slides


# --- What the screens show ----------------------------------------------------------------------------------


@dataclass
class Show:
    """The presentation as one audience sees it."""

    session: LiveSession
    presentation: Presentation
    slides: list[Slide]
    visible: bool
    tool_phase: bool
    slide: Slide | None = None
    body: str = ""
    domains: list[OpsDomain] = field(default_factory=list)
    result: CategoryResult | None = None
    respondents: int = 0
    resources: list[CategoryResource] = field(default_factory=list)
    wardley_map: WardleyMap | None = None
    wardley: wardley.MapLayout | None = None
    poll: Poll | None = None

    @property
    def position(self) -> int:
        return min(self.presentation.position, max(len(self.slides) - 1, 0))

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def has_previous(self) -> bool:
        return self.position > 0

    @property
    def has_next(self) -> bool:
        return self.position + 1 < len(self.slides)

    @property
    def next_slide(self) -> Slide | None:
        return self.slides[self.position + 1] if self.has_next else None

    @property
    def severity_bars(self) -> list[tuple[int, int, float]]:
        """(severity, count, percent of answers) for the category slide's room results."""
        if self.result is None:
            return []
        total = self.result.answered
        return [(s, n, 100 * n / total if total else 0.0) for s, n in self.result.counts.items()]


def _visibility(session: LiveSession, presentation: Presentation) -> tuple[bool, bool]:
    """(does the current phase open the slides, do learners and the projector see them)."""
    current = session.current_phase_row()
    tool_phase = current is not None and current.phase.tool == PhaseTool.SLIDES
    return tool_phase, session.is_open and (tool_phase or presentation.started)


def is_visible(session: LiveSession) -> bool:
    return _visibility(session, Presentation.for_session(session))[1]


def map_layout(wardley_map: WardleyMap, highlight: int | None = None) -> wardley.MapLayout:
    components = [
        wardley.Component(c.pk, c.name, c.visibility, c.evolution, c.evolves_to, c.note)
        for c in WardleyComponent.objects.filter(map=wardley_map)
    ]
    dependencies = list(
        WardleyDependency.objects.filter(map=wardley_map).values_list("source_id", "target_id")
    )
    return wardley.layout(components, dependencies, highlight)


def show(session: LiveSession, *, audience: str | None = None, staff: bool = False) -> Show:
    """The current slide with what it shows, in a fixed number of queries. `audience` is the learner level
    whose resources to include; `staff` includes every resource, tagged."""
    presentation = Presentation.for_session(session)
    tool_phase, visible = _visibility(session, presentation)
    view = Show(session, presentation, deck(session.lesson), visible, tool_phase)
    if not view.slides:
        return view
    slide = view.slide = view.slides[view.position]
    if slide.category is not None:
        view.domains = list(slide.category.domains.all())
        heatmap = room_heatmap(session)
        view.result, view.respondents = heatmap.for_category(slide.category.pk), heatmap.respondents
        resources = CategoryResource.objects.filter(category=slide.category)
        if not staff:
            resources = resources.filter(Q(audience_key="") | Q(audience_key=audience or ""))
        view.resources = list(resources)
    elif slide.free is not None:
        view.body = render_markdown(slide.free.body)
    elif slide.kind == DeckItemKind.MAP:
        view.wardley_map = WardleyMap.objects.filter(lesson_id=session.lesson_id).first()
        if view.wardley_map:
            view.wardley = map_layout(view.wardley_map, presentation.highlight_id)
    elif slide.prepared_poll is not None:
        view.poll = (
            Poll.objects.filter(session=session, source=slide.prepared_poll).order_by("-number").first()
        )
    return view


@dataclass
class QuestionRow:
    id: int
    text: str
    votes: int
    author: str
    slide_title: str
    answered: bool
    hidden: bool
    pinned: bool


@dataclass
class QA:
    questions: list[QuestionRow]
    hidden: list[QuestionRow]

    @property
    def pinned(self) -> QuestionRow | None:
        return next((q for q in self.questions if q.pinned), None)

    @property
    def open_count(self) -> int:
        return sum(1 for q in self.questions if not q.answered)

    @property
    def top(self) -> list[QuestionRow]:
        """The projector's list: the most upvoted open questions besides the pinned one."""
        return [q for q in self.questions if not q.pinned and not q.answered][:5]


def qa(session: LiveSession, *, staff: bool = False) -> QA:
    """The session's questions by votes, in two queries. Hidden ones only for facilitators."""
    rows = Question.objects.filter(session=session).by_votes().select_related("participant")
    if not staff:
        rows = rows.shown()
    shown: list[QuestionRow] = []
    hidden: list[QuestionRow] = []
    for question in rows:
        row = QuestionRow(
            id=question.pk,
            text=question.text,
            votes=question.vote_count,
            author=""
            if question.anonymous or question.participant is None
            else question.participant.display_name,
            slide_title=question.slide_title,
            answered=question.answered,
            hidden=question.hidden,
            pinned=question.pinned and not question.hidden,
        )
        (hidden if question.hidden else shown).append(row)
    return QA(shown, hidden)


def my_votes(participant: Participant) -> list[int]:
    return list(QuestionVote.objects.filter(participant=participant).values_list("question_id", flat=True))


@dataclass
class SlideQuestions:
    """The questions asked while one slide was showing (or with none: `key` empty), for the report."""

    key: str
    title: str
    kind: str
    questions: list[Question] = field(default_factory=list)

    @property
    def upvotes(self) -> int:
        return sum(q.vote_count for q in self.questions)  # type: ignore[attr-defined]  # with_votes() annotates it


NOT_ON_A_SLIDE = "Not on a slide"


SLIDE_KINDS: dict[str, str] = {
    DeckItemKind.CATEGORY: "obstacle category",
    DeckItemKind.FREE: "slide",
    DeckItemKind.MAP: "Wardley map",
    DeckItemKind.POLL: "poll",
}


def _slide_kind(key: str) -> str:
    return SLIDE_KINDS.get(key.split("-", 1)[0], "slide") if key else ""


def questions_by_slide(session: LiveSession) -> list[SlideQuestions]:
    """Every question of the session (hidden ones too, marked), grouped by the slide it was asked on in deck
    order, then slides no longer in the deck, then questions asked with no slide showing. Within a slide:
    pinned, then by upvotes. Two queries plus the deck's."""
    order = {slide.key: i for i, slide in enumerate(deck(session.lesson))}
    groups: dict[str, SlideQuestions] = {}
    questions = Question.objects.filter(session=session).by_votes().select_related("participant", "category")
    for question in questions:
        key = question.slide_key
        if key not in groups:
            title = question.slide_title or NOT_ON_A_SLIDE if key else NOT_ON_A_SLIDE
            groups[key] = SlideQuestions(key, title, _slide_kind(key))
        groups[key].questions.append(question)
    return sorted(groups.values(), key=lambda g: (not g.key, order.get(g.key, len(order)), g.title))


def my_questions(participant: Participant) -> list[int]:
    """The learner's own questions: their page marks them and offers no upvote (see `vote`)."""
    return list(Question.objects.filter(participant=participant, hidden=False).values_list("pk", flat=True))


def questions_by_category(session: LiveSession) -> list[tuple[str, int]]:
    """For the session report: how many (shown) questions each category's slides raised, most first."""
    counts = Counter(
        Question.objects.filter(session=session, hidden=False, category__isnull=False).values_list(
            "category__name", flat=True
        )
    )
    return counts.most_common()


NO_QUESTIONS = QA([], [])


def panel_context(session: LiveSession, view: str) -> dict:
    """The dashboard's panel (always), or the projector's slide and questions (only while visible)."""
    staff = view == "dashboard"
    view_ = show(session, staff=staff)
    return {
        "explain": view_,
        "explain_qa": qa(session, staff=staff) if staff or view_.visible else NO_QUESTIONS,
    }


def learner_context(session: LiveSession, participant: Participant) -> dict:
    return {
        "explain": show(session, audience=participant.experience),
        "explain_qa": qa(session),
        "explain_my_votes": my_votes(participant),
        "explain_my_questions": my_questions(participant),
    }


# --- Pushes -------------------------------------------------------------------------------------------------


def push(session_id: int, *, slide: bool = False, questions: bool = False, visibility: bool = False) -> None:
    """Send what changed to every screen: one render per audience (learners: per level for a slide)."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    base = {"session": session}
    staff_regions = PANEL_REGIONS * (slide or visibility) + PANEL_QA_REGIONS * questions
    staff = {**base, "explain": show(session, staff=True)} if (slide or visibility) else dict(base)
    if questions:
        staff["explain_qa"] = qa(session, staff=True)
    broadcast.send(session.group_facilitators, broadcast.render(REGIONS, staff_regions, staff, oob=True))
    public_qa = qa(session) if (questions or visibility) else None
    first = show(session) if (slide or visibility) else None
    visible = first.visible if first else is_visible(session)
    if not (visible or visibility):
        return
    projector_regions = PROJECTOR_SLIDE * (slide or visibility) + PROJECTOR_QA * (questions or visibility)
    projector_qa = public_qa if visible else NO_QUESTIONS
    broadcast.send(
        session.group_projector,
        broadcast.render(
            REGIONS, projector_regions, {**base, "explain": first, "explain_qa": projector_qa}, oob=True
        ),
    )
    if slide or visibility:
        regions = LEARNER_SECTION if visibility else LEARNER_SLIDE
        for key, _ in live_regions.learner_levels(session):
            learner = {**base, "explain": show(session, audience=key), "explain_qa": public_qa}
            broadcast.send(session.group_level(key), broadcast.render(REGIONS, regions, learner, oob=True))
    if questions and not visibility:
        broadcast.send(
            session.group_all,
            broadcast.render(REGIONS, LEARNER_QA, {**base, "explain_qa": public_qa}, oob=True),
        )


# --- Facilitators' actions ----------------------------------------------------------------------------------


def _lock(session: LiveSession) -> Presentation:
    """Two facilitator tabs pressing "next" at once move two slides, one after the other."""
    LiveSession.objects.select_for_update().filter(pk=session.pk).first()
    return get_or_create_locked(Presentation, session=session)[0]


def _open_prepared(session: LiveSession, prepared: PreparedPoll) -> None:
    """Reaching a poll slide opens its poll once: a copy already in the session is reused, not duplicated."""
    poll = Poll.objects.filter(session=session, source=prepared).order_by("-number").first()
    if poll is None:
        poll = polls.use_prepared(session, prepared)
    if poll.status == PollStatus.DRAFT:
        polls.open_poll(poll)


@transaction.atomic
def go_to(session: LiveSession, position: int) -> Presentation:
    presentation = _lock(session)
    slides = deck(session.lesson)
    if not slides:
        raise ExplainError("This lesson has no slides yet: add obstacle categories or a deck in admin.")
    if not 0 <= position < len(slides):
        raise ExplainError("There is no such slide.")
    presentation.position, presentation.highlight = position, None
    presentation.save()
    prepared = slides[position].prepared_poll
    if prepared is not None:
        _open_prepared(session, prepared)
    broadcast.push_after_commit(push, session.pk, slide=True)
    return presentation


def step(session: LiveSession, delta: int) -> Presentation:
    with transaction.atomic():
        current = _lock(session).position
        count = len(deck(session.lesson))
        target = min(max(current + delta, 0), max(count - 1, 0))
        if target == current and count:
            raise ExplainError("This is the last slide." if delta > 0 else "This is the first slide.")
        return go_to(session, target)


@transaction.atomic
def set_started(session: LiveSession, started: bool) -> None:
    presentation = _lock(session)
    presentation.started = started
    presentation.save(update_fields=["started"])
    broadcast.push_after_commit(push, session.pk, visibility=True)


@transaction.atomic
def set_highlight(session: LiveSession, component_id: int | None) -> None:
    component = None
    if component_id is not None:
        component = WardleyComponent.objects.filter(pk=component_id, map__lesson_id=session.lesson_id).first()
        if component is None:
            raise ExplainError("That component is not on this lesson's map.")
    presentation = _lock(session)
    presentation.highlight = component
    presentation.save(update_fields=["highlight"])
    broadcast.push_after_commit(push, session.pk, slide=True)


MODERATION = {
    "answer": {"answered": True},
    "reopen": {"answered": False},
    "hide": {"hidden": True, "pinned": False},
    "show": {"hidden": False},
    "pin": {"pinned": True},
    "unpin": {"pinned": False},
}


@transaction.atomic
def moderate(session: LiveSession, question_id: int, action: str) -> None:
    question = Question.objects.filter(pk=question_id, session=session).first()
    if question is None:
        raise ExplainError("This question is not in this session.")
    changes = MODERATION[action]
    if action == "pin":
        if question.hidden:
            raise ExplainError("Show the question before pinning it.")
        Question.objects.filter(session=session, pinned=True).update(pinned=False)
    Question.objects.filter(pk=question.pk).update(**changes)
    broadcast.push_after_commit(push, session.pk, questions=True)


# --- Learners' actions --------------------------------------------------------------------------------------


@transaction.atomic
def ask(participant: Participant, *, text: str, anonymous: bool = True) -> Question:
    """Store a question with the slide it was asked on (and its category, for the report)."""
    session = participant.session
    view = show(session, audience=participant.experience)
    if not view.visible:
        raise ExplainError("Questions open with the presentation. Keep your question for then.")
    slide = view.slide
    question = Question.objects.create(
        session=session,
        participant=participant,
        text=text,
        anonymous=anonymous,
        slide_key=slide.key if slide else "",
        slide_title=slide.title[:200] if slide else "",
        category=slide.category if slide else None,
    )
    broadcast.push_after_commit(push, session.pk, questions=True)
    return question


def vote(participant: Participant, question_id: int, *, add: bool) -> None:
    """Upvote a question or take the upvote back. The unique constraint keeps it to one per learner, even
    when two requests race; a second "add" is then simply nothing to do."""
    if not participant.session.is_open:
        raise ExplainError("The session has ended: the questions are kept as they were.")
    with transaction.atomic():
        question = Question.objects.filter(
            pk=question_id, session_id=participant.session_id, hidden=False
        ).first()
        if question is None:
            raise ExplainError("This question is no longer on the list.")
        if add and question.participant_id == participant.pk:
            # Upvotes say what the room wants answered; one's own question already counts as asked.
            raise ExplainError("This is your own question: the others can upvote it, you can't.")
        if add:
            try:
                with transaction.atomic():
                    QuestionVote.objects.create(question=question, participant=participant)
            except IntegrityError:
                return
        elif not QuestionVote.objects.filter(question=question, participant=participant).delete()[0]:
            return
        broadcast.push_after_commit(push, participant.session_id, questions=True)


# --- Loading an Explain deck from JSON ----------------------------------------------------------------------


class ExplainFileError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Cannot load the Explain materials:\n" + "\n".join(f"- {p}" for p in problems))


def read_explain_file(path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ExplainFileError([f"{path} is not valid JSON: {error}"]) from error


def _field_problems(obj, where: str, exclude: list[str]) -> list[str]:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            f"{where}: {name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def load_explain(data: dict) -> tuple[Lesson, dict[str, int]]:
    """Load a lesson's free slides, per-category resources, Wardley map and deck from a document like
    fixtures/explain/integration-maze.json:

        {"lesson_title": "..." (or "lesson_slug"),
         "free_slides": [{"title", "body"}],
         "resources": {"<category slug>": [{"title", "url", "audience": "<audience key>"}]},
         "wardley_map": {"title", "notes", "components": [{"name", "visibility", "evolution", "evolves_to",
                         "note"}], "dependencies": [{"from": name, "to": name}]},
         "deck": [{"category": slug} | {"free": title} | {"map": true} | {"poll": prepared poll question}]}

    The lesson, its materials and its prepared polls must exist. Everything is checked before anything is
    written; loading again gives the same result (slides matched by title, map components by name; the
    resources of the listed categories, the dependencies and the deck are replaced)."""
    if not isinstance(data, dict):
        raise ExplainFileError(["the document must be a JSON object"])
    slug = str(data.get("lesson_slug") or slugify(str(data.get("lesson_title") or "")))
    lesson = Lesson.objects.filter(slug=slug).first()
    if lesson is None:
        raise ExplainFileError([f"no lesson '{slug}': import the lesson and its materials first"])
    problems: list[str] = []
    categories = {c.slug: c for c in lesson.categories.all()}
    audiences = set(lesson.audiences.values_list("key", flat=True))
    prepared = {p.question: p for p in PreparedPoll.objects.filter(lesson=lesson)}

    slides: list[FreeSlide] = []
    for i, row in enumerate(_list(data, "free_slides", problems)):
        slide = FreeSlide(
            lesson=lesson, title=str(row.get("title") or "").strip(), body=str(row.get("body") or "")
        )
        problems += _field_problems(slide, f"free_slides[{i}]", ["lesson", "image"])
        slides.append(slide)
    titles = [s.title for s in slides]
    if len(set(titles)) != len(titles):
        problems.append("free_slides: two slides have the same title")

    resources: list[CategoryResource] = []
    raw_resources = data.get("resources") or {}
    if not isinstance(raw_resources, dict):
        problems.append("'resources' must be an object of category slug → list")
        raw_resources = {}
    for category_slug, rows in raw_resources.items():
        category = categories.get(category_slug)
        if category is None:
            problems.append(f"resources: the lesson has no obstacle category '{category_slug}'")
            continue
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            where = f"resources.{category_slug}[{i}]"
            key = str(row.get("audience") or "")
            if key and key not in audiences:
                problems.append(f"{where}: no audience '{key}' (use one of {', '.join(sorted(audiences))})")
            resource = CategoryResource(
                category=category,
                order=i,
                title=str(row.get("title") or "").strip(),
                url=str(row.get("url") or ""),
            )
            resource.audience_key = key
            problems += _field_problems(resource, where, ["category", "audience_key"])
            resources.append(resource)

    raw_map = data.get("wardley_map")
    components: list[WardleyComponent] = []
    dependencies: list[tuple[str, str]] = []
    wardley_map = None
    if raw_map is not None:
        if not isinstance(raw_map, dict):
            problems.append("'wardley_map' must be an object")
            raw_map = {}
        wardley_map = WardleyMap(
            lesson=lesson,
            title=str(raw_map.get("title") or "").strip(),
            notes=str(raw_map.get("notes") or ""),
        )
        problems += _field_problems(wardley_map, "wardley_map", ["lesson"])
        for i, row in enumerate(_list(raw_map, "components", problems)):
            component = WardleyComponent(
                order=i, name=str(row.get("name") or "").strip(), note=str(row.get("note") or "")
            )
            for name in ("visibility", "evolution", "evolves_to"):
                value = row.get(name)
                if value is not None and not isinstance(value, (int, float)):
                    problems.append(f"wardley_map.components[{i}]: {name} must be a number from 0 to 1")
                    value = 0.0
                setattr(component, name, value)
            problems += _field_problems(component, f"wardley_map.components[{i}]", ["map"])
            components.append(component)
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            problems.append("wardley_map: two components have the same name")
        for i, row in enumerate(_list(raw_map, "dependencies", problems)):
            source, target = str(row.get("from") or ""), str(row.get("to") or "")
            for name in (source, target):
                if name not in names:
                    problems.append(f"wardley_map.dependencies[{i}]: no component '{name}'")
            if source == target:
                problems.append(f"wardley_map.dependencies[{i}]: a component cannot depend on itself")
            dependencies.append((source, target))

    deck_rows: list[DeckItem] = []
    for i, row in enumerate(_list(data, "deck", problems)):
        where = f"deck[{i}]"
        item = DeckItem(order=i)
        if "category" in row:
            item.kind, item.category = DeckItemKind.CATEGORY, categories.get(str(row["category"]))
            if item.category is None:
                problems.append(f"{where}: the lesson has no obstacle category '{row['category']}'")
        elif "free" in row:
            item.kind = DeckItemKind.FREE
            if str(row["free"]) not in titles:
                problems.append(f"{where}: no free slide titled '{row['free']}' in this file")
            # A scratch attribute of the unsaved row: which free slide (saved below) it shows.
            item.free_title = str(row["free"])  # type: ignore[attr-defined]
        elif "map" in row:
            item.kind = DeckItemKind.MAP
            if wardley_map is None:
                problems.append(f"{where}: the file has no wardley_map")
        elif "poll" in row:
            item.kind, item.prepared_poll = DeckItemKind.POLL, prepared.get(str(row["poll"]))
            if item.prepared_poll is None:
                problems.append(f"{where}: no prepared poll '{row['poll']}' (load the polls first)")
        else:
            problems.append(f"{where}: give one of category, free, map or poll")
        deck_rows.append(item)
    if problems:
        raise ExplainFileError(problems)

    with transaction.atomic():
        saved_slides = {}
        for slide in slides:
            saved_slides[slide.title], _ = FreeSlide.objects.update_or_create(
                lesson=lesson, title=slide.title, defaults={"body": slide.body}
            )
        CategoryResource.objects.filter(
            category__slug__in=list(raw_resources), category__lesson=lesson
        ).delete()
        CategoryResource.objects.bulk_create(resources)
        if wardley_map is not None:
            saved_map, _ = WardleyMap.objects.update_or_create(
                lesson=lesson, defaults={"title": wardley_map.title, "notes": wardley_map.notes}
            )
            WardleyDependency.objects.filter(map=saved_map).delete()
            WardleyComponent.objects.filter(map=saved_map).exclude(
                name__in=[c.name for c in components]
            ).delete()
            by_name = {}
            for component in components:
                by_name[component.name], _ = WardleyComponent.objects.update_or_create(
                    map=saved_map,
                    name=component.name,
                    defaults={
                        "order": component.order,
                        "visibility": component.visibility,
                        "evolution": component.evolution,
                        "evolves_to": component.evolves_to,
                        "note": component.note,
                    },
                )
            WardleyDependency.objects.bulk_create(
                WardleyDependency(map=saved_map, source=by_name[s], target=by_name[t])
                for s, t in dict.fromkeys(dependencies)
            )
        if "deck" in data:
            slide_deck, _ = SlideDeck.objects.get_or_create(lesson=lesson)
            slide_deck.items.all().delete()
            for item in deck_rows:
                item.deck = slide_deck
                if item.kind == DeckItemKind.FREE:
                    item.free_slide = saved_slides[item.free_title]  # type: ignore[attr-defined]  # set above
            DeckItem.objects.bulk_create(deck_rows)
    counts = {
        "free slides": len(slides),
        "resources": len(resources),
        "map components": len(components),
        "dependencies": len(set(dependencies)),
        "deck items": len(deck_rows),
    }
    return lesson, counts


def _list(data: dict, name: str, problems: list[str]) -> list[dict]:
    rows = data.get(name) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        problems.append(f"'{name}' must be a list of objects")
        return []
    return rows
