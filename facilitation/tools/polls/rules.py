"""Live polls: the life cycle (draft → open → closed, reveal), answers, results maths, what each screen shows,
the pushes after a change, the CSV rows, and the loader for prepared polls.

Pushes follow broadcast.py's rule: after commit, each changed region is rendered ONCE and sent to one group.
The learner-facing region is the same for every learner, so it carries no one's answer: a learner's own
selection comes from their own GET or POST, and the pushed copy marks answer forms `hx-preserve`, so a push
keeps the form the learner already has (with their selection) instead of blanking it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from facilitation.live import broadcast
from facilitation.live import regions as live_regions
from facilitation.models import (
    LiveSession,
    Participant,
    Poll,
    PollAnswer,
    PollKind,
    PollSpec,
    PollStatus,
    PreparedPoll,
)
from facilitation.tools.polls.forms import PollForm
from lessons.models import Lesson

PANEL = "facilitation/tools/polls/panel.html"
PROJECTOR = "facilitation/tools/polls/projector.html"
LEARNER = "facilitation/tools/polls/learner.html"
PANEL_REGIONS = ("poll_list",)
PROJECTOR_REGIONS = ("projector_polls",)
LEARNER_REGIONS = ("learner_polls",)


class PollError(Exception):
    """A poll action that the poll's state does not allow; the message is shown to the person."""


# --- Results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One option or one scale value with its own count: the label and the figures travel together, so no
    layout can pair a count with a neighbour's label."""

    label: str
    count: int
    pct: float
    correct: bool = False
    note: str = ""  # a rating scale's end label ("Not at all") on its first and last value
    fill_pct: float = 0.0  # the count as a percentage of the most chosen value's (a scale's column height)


@dataclass(frozen=True)
class Word:
    text: str
    count: int
    weight: float  # 0..1, the count relative to the most frequent word


@dataclass
class Results:
    poll: Poll
    respondents: int = 0
    bars: list[Bar] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    mean: float | None = None
    correct_count: int = 0
    answer_shown: bool = True

    @property
    def correct_pct(self) -> float:
        return 100 * self.correct_count / self.respondents if self.respondents else 0.0


def _pct(count: int, total: int) -> float:
    return 100 * count / total if total else 0.0


_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def word_key(text: str) -> str:
    """Answers count as the same word regardless of case, spacing and surrounding punctuation."""
    return _EDGE_PUNCTUATION.sub("", " ".join(text.split())).casefold()


def is_correct(poll: PollSpec, answer: PollAnswer) -> bool:
    return poll.correct_index is not None and list(answer.choices) == [poll.correct_index]


def compute_results(poll: Poll, answers: list[PollAnswer], *, public: bool = False) -> Results:
    """Tally one poll's answers. Choice percentages are of respondents (multiple choice may sum past 100).

    `public` results are for learners and the projector: while a quiz is open they do not say which answer is
    correct (nor how many got it right), or live results would give the answer away to those still choosing."""
    results = Results(poll=poll, respondents=len(answers), answer_shown=not (public and poll.is_open))
    total = len(answers)
    if poll.has_options:
        counts = Counter(index for answer in answers for index in set(answer.choices))
        correct_index = poll.correct_index if results.answer_shown else None
        results.bars = [
            Bar(label, counts[i], _pct(counts[i], total), correct=i == correct_index)
            for i, label in enumerate(poll.options)
        ]
        if results.answer_shown:
            results.correct_count = sum(1 for answer in answers if is_correct(poll, answer))
    elif poll.kind == PollKind.SCALE:
        results.bars, results.mean = _scale_bars(poll, answers)
    elif poll.kind == PollKind.WORDS:
        spellings: dict[str, Counter] = defaultdict(Counter)
        for answer in answers:
            key = word_key(answer.text)
            if key:
                spellings[key][answer.text.strip()] += 1
        counted = [(sum(c.values()), c.most_common(1)[0][0]) for c in spellings.values()]
        top = max((count for count, _ in counted), default=1)
        results.words = [
            Word(text, count, count / top) for count, text in sorted(counted, key=lambda w: (-w[0], w[1]))
        ]
    else:
        results.texts = [a.text for a in sorted(answers, key=lambda a: a.updated_at, reverse=True) if a.text]
    return results


def _scale_bars(poll: Poll, answers: list[PollAnswer]) -> tuple[list[Bar], float | None]:
    """One bar per value of the scale, lowest first, zero counts included, so the gaps show. A rating outside
    the scale (the scale was edited after answers came in) is left out of every figure rather than moved onto
    a neighbouring value."""
    values = poll.scale_values
    ratings = [
        a.rating for a in answers if a.rating is not None and poll.scale_min <= a.rating <= poll.scale_max
    ]
    counts = Counter(ratings)
    top = max(counts.values(), default=0)
    ends = {values[0]: poll.scale_min_label, values[-1]: poll.scale_max_label} if values else {}
    bars = [
        Bar(
            str(value),
            counts[value],
            _pct(counts[value], len(ratings)),
            note=ends.get(value, ""),
            fill_pct=_pct(counts[value], top),
        )
        for value in values
    ]
    mean = round(sum(ratings) / len(ratings), 1) if ratings else None
    return bars, mean


@dataclass(frozen=True)
class ScoreRow:
    name: str
    correct: int
    answered: int
    pct: float


def quiz_scores(
    polls: list[Poll], answers: list[PollAnswer], participants: list[Participant]
) -> list[ScoreRow]:
    """Per participant: quiz questions answered correctly, out of the session's quiz questions asked so far."""
    quizzes = {p.pk: p for p in polls if p.is_quiz and p.status != PollStatus.DRAFT}
    if not quizzes:
        return []
    correct: Counter = Counter()
    answered: Counter = Counter()
    for answer in answers:
        poll = quizzes.get(answer.poll_id)
        if poll is not None:
            answered[answer.participant_id] += 1
            correct[answer.participant_id] += is_correct(poll, answer)
    rows = [
        ScoreRow(p.display_name, correct[p.pk], answered[p.pk], _pct(correct[p.pk], len(quizzes)))
        for p in participants
    ]
    return sorted(rows, key=lambda r: (-r.correct, -r.answered, r.name.casefold()))


# --- What the screens show ----------------------------------------------------------------------------------


@dataclass
class LearnerCard:
    poll: Poll
    results: Results | None
    answer: PollAnswer | None = None
    saved: bool = False
    error: str = ""
    score: QuizScore | None = None

    @property
    def selected(self) -> list[int]:
        return list(self.answer.choices) if self.answer else []

    @property
    def answer_label(self) -> str:
        return answer_label(self.poll, self.answer) if self.answer else ""

    @property
    def feedback_shown(self) -> bool:
        """A quiz taker learns whether they were right once the answers are final and the room sees the results:
        the quiz is closed and its results are shown (revealed, or live). Before that it would give the answer
        away to those still choosing, or pre-empt the facilitator's discussion."""
        return answer_revealed(self.poll)

    @property
    def correct(self) -> bool:
        return self.answer is not None and is_correct(self.poll, self.answer)

    @property
    def correct_label(self) -> str:
        index = self.poll.correct_index
        return self.poll.options[index] if index is not None and index < len(self.poll.options) else ""


@dataclass(frozen=True)
class QuizScore:
    """A learner's quiz questions answered correctly, out of the quizzes whose answer the room has seen."""

    correct: int
    out_of: int


def answer_revealed(poll: Poll) -> bool:
    return poll.is_quiz and poll.is_closed and poll.results_visible


def quiz_scores_of(session: LiveSession, participant_ids: list[int]) -> dict[int, QuizScore]:
    """Each learner's own quiz score so far, in two queries for any number of learners."""
    quizzes = {
        p.pk: p
        for p in Poll.objects.filter(session=session, kind=PollKind.QUIZ, status=PollStatus.CLOSED)
        if p.results_visible
    }
    correct: Counter = Counter()
    answers = PollAnswer.objects.filter(poll__in=list(quizzes), participant__in=participant_ids).only(
        "poll_id", "participant_id", "choices"
    )
    for answer in answers:
        correct[answer.participant_id] += is_correct(quizzes[answer.poll_id], answer)
    return {pid: QuizScore(correct[pid], len(quizzes)) for pid in participant_ids} if quizzes else {}


def _answers_by_poll(polls: list[Poll]) -> dict[int, list[PollAnswer]]:
    by_poll: dict[int, list[PollAnswer]] = defaultdict(list)
    for answer in PollAnswer.objects.filter(poll__in=[p.pk for p in polls]).only(
        "poll_id", "participant_id", "choices", "rating", "text", "updated_at"
    ):
        by_poll[answer.poll_id].append(answer)
    return by_poll


def _current_phase_id(session: LiveSession) -> int | None:
    current = session.current_phase_row()
    return current.phase_id if current is not None else None


def panel_context(session: LiveSession, view: str) -> dict:
    """The dashboard's poll panel (every poll with results, the prepared polls, the quiz scores) or the
    projector's polls on screen (results only where they are visible)."""
    if view == "projector":
        polls = list(Poll.objects.filter(session=session).on_screen())
        by_poll = _answers_by_poll(polls)
        cards = [(p, compute_results(p, by_poll[p.pk], public=True)) for p in polls]
        return {"projector_poll_cards": cards}
    polls = list(Poll.objects.filter(session=session).select_related("source"))
    by_poll = _answers_by_poll(polls)
    participants = list(session.participants.all())
    phase_id = _current_phase_id(session)
    prepared = sorted(
        PreparedPoll.objects.filter(lesson_id=session.lesson_id).select_related("phase"),
        key=lambda p: (p.phase_id != phase_id, p.phase.order if p.phase else 1_000, p.order, p.pk),
    )
    used = {p.source_id for p in polls if p.source_id}
    return {
        "poll_cards": [(p, compute_results(p, by_poll[p.pk])) for p in polls],
        "prepared_polls": [
            (p, p.phase_id == phase_id and phase_id is not None, p.pk in used) for p in prepared
        ],
        "poll_scores": quiz_scores(polls, [a for rows in by_poll.values() for a in rows], participants),
        "poll_form": PollForm(),
    }


def learner_cards(session: LiveSession, participant: Participant | None) -> list[LearnerCard]:
    """The polls on learner screens. With `participant=None` this is the shared copy every learner gets by
    push: no one's answer in it."""
    if participant is None:
        return learner_cards_of(session, [None])[None]
    return learner_cards_of(session, [participant])[participant.pk]


def learner_cards_of(session: LiveSession, participants) -> dict:
    """The polls on each learner's screen with their own answers and score (by participant id; `None` in
    `participants` is the shared copy, with no one's answer), in the same queries for any number of them."""
    polls = list(Poll.objects.filter(session=session).on_screen())
    visible = [p for p in polls if p.results_visible]
    by_poll = _answers_by_poll(visible) if visible else {}
    results = {p.pk: compute_results(p, by_poll[p.pk], public=True) for p in visible}
    people = [p for p in participants if p is not None]
    mine: dict[int, dict[int, PollAnswer]] = {p.pk: {} for p in people}
    if people and polls:
        for answer in PollAnswer.objects.filter(participant__in=people, poll__in=polls):
            mine[answer.participant_id][answer.poll_id] = answer
    scores = {}
    if people and any(answer_revealed(p) for p in polls):
        scores = quiz_scores_of(session, [p.pk for p in people])
    out: dict = {}
    for participant in participants:
        pid = participant.pk if participant is not None else None
        answers = mine.get(pid, {}) if pid is not None else {}
        out[pid] = [
            LearnerCard(
                poll=p,
                results=results.get(p.pk),
                answer=answers.get(p.pk),
                saved=p.pk in answers,
                score=scores.get(pid) if pid is not None else None,
            )
            for p in polls
        ]
    return out


def cards_key(cards: list[LearnerCard]):
    """What makes one learner's polls read differently from another's: their answers and score."""
    answers = tuple((c.answer.pk, c.answer.updated_at) for c in cards if c.answer)
    score = cards[0].score if cards else None
    return answers, (score.correct, score.out_of) if score else None


def learner_context(session: LiveSession, participant: Participant | None) -> dict:
    return {"learner_poll_cards": learner_cards(session, participant), "preserve_forms": False}


# --- Pushes -------------------------------------------------------------------------------------------------


def push(session_id: int, *, learners: bool = False, own_answers: tuple[int, ...] = ()) -> None:
    """Send the changed poll regions: the dashboard panel, the projector and (if they changed) learner pages;
    then, for the polls in `own_answers`, each learner's own line (after the shared copy, which may be what
    puts the poll on their page)."""
    session = LiveSession.objects.select_related("lesson").get(pk=session_id)
    base = {"session": session}
    dashboard = {**base, **panel_context(session, "dashboard")}
    broadcast.send(session.group_facilitators, broadcast.render(PANEL, PANEL_REGIONS, dashboard))
    projector = {**base, **panel_context(session, "projector")}
    broadcast.send(session.group_projector, broadcast.render(PROJECTOR, PROJECTOR_REGIONS, projector))
    if learners:
        shared = {**base, "learner_poll_cards": learner_cards(session, None), "preserve_forms": True}
        broadcast.send(session.group_all, broadcast.render(LEARNER, LEARNER_REGIONS, shared))
    for poll_id in own_answers:
        push_own_answers(session_id, poll_id)


def _push_after_commit(session_id: int, *, learners: bool = True) -> None:
    broadcast.push_after_commit(push, session_id, learners=learners)


def push_own_answers(session_id: int, poll_id: int) -> None:
    """Each learner who answered a poll gets their own line under it ("Your answer: …", and for a quiz whose
    answer is out, whether it was right and their score so far), to them alone. The shared push keeps the line
    a page already has (hx-preserve), so this is what changes it: one small render per learner who answered,
    with the same queries for any number of them."""
    poll = Poll.objects.select_related("session").filter(pk=poll_id, session_id=session_id).first()
    if poll is None or not poll.on_screen or poll.status == PollStatus.DRAFT:
        return
    answers = list(PollAnswer.objects.filter(poll=poll).select_related("participant"))
    scores = (
        quiz_scores_of(poll.session, [a.participant_id for a in answers]) if answer_revealed(poll) else {}
    )
    base = {"session": poll.session, "preserve_forms": False}
    for answer in answers:
        card = LearnerCard(poll=poll, results=None, answer=answer, score=scores.get(answer.participant_id))
        html = live_regions.render_regions(LEARNER, ("poll_mine",), {**base, "card": card})
        broadcast.send(answer.participant.group_name, html)


def _push_own_answers_after_commit(poll: Poll) -> None:
    broadcast.push_after_commit(push, poll.session_id, learners=True, own_answers=(poll.pk,))


# --- Life cycle ---------------------------------------------------------------------------------------------


def _next_number(session: LiveSession) -> int:
    last = Poll.objects.filter(session=session).order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def create_poll(session: LiveSession, spec: PollSpec, *, source: PreparedPoll | None = None) -> Poll:
    """A draft poll in the session, copying what `spec` asks (a form's unsaved poll or a prepared poll)."""
    poll = Poll(session=session, number=_next_number(session), source=source)
    for name in PollSpec.SPEC_FIELDS:
        setattr(poll, name, getattr(spec, name))
    poll.full_clean(exclude=["session", "source"])
    poll.save()
    _push_after_commit(session.pk, learners=False)
    return poll


def use_prepared(session: LiveSession, prepared: PreparedPoll) -> Poll:
    if prepared.lesson_id != session.lesson_id:
        raise PollError("That prepared poll belongs to another lesson.")
    return create_poll(session, prepared, source=prepared)


@transaction.atomic
def open_poll(poll: Poll) -> Poll:
    """Open a draft. It goes on every learner screen at once; closed polls leave the screens, so learners
    and the projector focus on the question being asked."""
    if poll.status != PollStatus.DRAFT:
        raise PollError("Only a draft poll can be opened.")
    Poll.objects.filter(session_id=poll.session_id, status=PollStatus.CLOSED).update(on_screen=False)
    poll.status, poll.on_screen, poll.opened_at = PollStatus.OPEN, True, timezone.now()
    poll.save(update_fields=["status", "on_screen", "opened_at"])
    _push_after_commit(poll.session_id)
    return poll


@transaction.atomic
def close_poll(poll: Poll) -> Poll:
    if poll.status != PollStatus.OPEN:
        raise PollError("Only an open poll can be closed.")
    poll.status, poll.closed_at = PollStatus.CLOSED, timezone.now()
    poll.save(update_fields=["status", "closed_at"])
    _push_own_answers_after_commit(poll)
    return poll


@transaction.atomic
def set_revealed(poll: Poll, revealed: bool) -> Poll:
    if poll.status == PollStatus.DRAFT:
        raise PollError("Open the poll before revealing its results.")
    poll.revealed = revealed
    poll.save(update_fields=["revealed"])
    _push_own_answers_after_commit(poll)
    return poll


@transaction.atomic
def set_on_screen(poll: Poll, on_screen: bool) -> Poll:
    if poll.status == PollStatus.DRAFT:
        raise PollError("A draft poll is not on screens; open it.")
    if poll.is_open and not on_screen:
        raise PollError("Close the poll before taking it off the screens.")
    poll.on_screen = on_screen
    poll.save(update_fields=["on_screen"])
    _push_own_answers_after_commit(poll)
    return poll


@transaction.atomic
def delete_draft(poll: Poll) -> None:
    if poll.status != PollStatus.DRAFT:
        raise PollError("Only a draft can be deleted: answers to a poll stay with the session.")
    session_id = poll.session_id
    poll.delete()
    _push_after_commit(session_id, learners=False)


CLOSED_MESSAGE = "This poll is closed: answers are no longer accepted."


def submit_answer(poll: Poll, participant: Participant, values: dict) -> PollAnswer:
    """Save (or change) a participant's answer. `values` holds the answer fields from the answer form.

    The unique constraint makes one answer per participant and poll; two quick submits racing each other
    end as one row, the later answer winning."""
    for attempt in range(2):
        try:
            return _save_answer(poll, participant, values)
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _save_answer(poll: Poll, participant: Participant, values: dict) -> PollAnswer:
    found = Poll.objects.filter(pk=poll.pk).values_list("status", "session__ended_at").first()
    status, ended_at = found or (None, None)
    if ended_at is not None:  # a poll left open when the session ended closes with it
        raise PollError("The session has ended: answers are no longer accepted.")
    if status != PollStatus.OPEN:
        raise PollError(CLOSED_MESSAGE if status == PollStatus.CLOSED else "This poll is not open.")
    now = timezone.now()
    answer, _ = PollAnswer.objects.update_or_create(
        poll=poll,
        participant=participant,
        defaults={**values, "updated_at": now},
        create_defaults={**values, "created_at": now, "updated_at": now},
    )
    # Learner pages change with an answer only when they show results.
    _push_after_commit(poll.session_id, learners=poll.results_visible)
    return answer


# --- CSV ----------------------------------------------------------------------------------------------------

CSV_HEADER = ["poll", "question", "type", "status", "participant", "answer", "correct", "answered_at"]


def answer_label(poll: Poll, answer: PollAnswer) -> str:
    if poll.has_options:
        options = poll.options
        return "; ".join(options[i] for i in answer.choices if 0 <= i < len(options))
    if poll.kind == PollKind.SCALE:
        return "" if answer.rating is None else str(answer.rating)
    return answer.text


def poll_rows(session: LiveSession) -> list[list[str]]:
    """Every answer of the session's polls as plain values, one row each (header first); polls nobody
    answered get one row without a participant. For the CSV export and the session report."""
    polls = list(Poll.objects.filter(session=session).exclude(status=PollStatus.DRAFT).order_by("number"))
    answers = (
        PollAnswer.objects.filter(poll__in=polls)
        .select_related("participant")
        .order_by("poll__number", "participant__joined_at", "participant_id")
    )
    by_poll: dict[int, list[PollAnswer]] = defaultdict(list)
    for answer in answers:
        by_poll[answer.poll_id].append(answer)
    rows = [CSV_HEADER]
    for poll in polls:
        base = [str(poll.number), poll.question, poll.get_kind_display(), poll.get_status_display()]
        if not by_poll[poll.pk]:
            rows.append([*base, "", "", "", ""])
        for answer in by_poll[poll.pk]:
            correct = ("yes" if is_correct(poll, answer) else "no") if poll.is_quiz else ""
            rows.append(
                [
                    *base,
                    answer.participant.display_name,
                    answer_label(poll, answer),
                    correct,
                    timezone.localtime(answer.updated_at).isoformat(timespec="seconds"),
                ]
            )
    return rows


# --- Prepared polls from JSON -------------------------------------------------------------------------------


class PollsFileError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Cannot load polls:\n" + "\n".join(f"- {problem}" for problem in problems))


def read_polls_file(path: Path | str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PollsFileError([f"{path} is not valid JSON: {error}"]) from error


def load_prepared_polls(data: dict) -> tuple[Lesson, int]:
    """Load prepared polls for a lesson from a document like fixtures/polls/integration-maze.json:

        {"lesson_title": "..." (or "lesson_slug"),
         "polls": [{"question", "kind", "phase": phase name or null, "options": [text] or
                    "options_from": "obstacle_categories", "correct_option", "scale_min", "scale_max",
                    "scale_min_label", "scale_max_label", "show_results_live"}]}

    The lesson must exist (import it and its materials first). Polls are matched by question, so loading
    again updates them in place and keeps the links from session polls; list order becomes `order`. The
    whole document is checked before anything is written."""
    if not isinstance(data, dict):
        raise PollsFileError(["the document must be a JSON object"])
    slug = str(data.get("lesson_slug") or slugify(str(data.get("lesson_title") or "")))
    lesson = Lesson.objects.filter(slug=slug).first()
    if lesson is None:
        raise PollsFileError([f"no lesson '{slug}': import the lesson first"])
    rows = data.get("polls")
    if not isinstance(rows, list):
        raise PollsFileError(["'polls' must be a list"])
    phases = {p.name.casefold(): p for p in lesson.phases.all()}
    categories = [c.name for c in lesson.categories.all()]
    problems: list[str] = []
    prepared: list[PreparedPoll] = []
    for index, row in enumerate(rows):
        where = f"polls[{index}]"
        if not isinstance(row, dict):
            problems.append(f"{where}: must be an object")
            continue
        poll = PreparedPoll(lesson=lesson, order=index)
        poll.question = str(row.get("question") or "").strip()
        poll.kind = str(row.get("kind") or "")
        phase_name = row.get("phase")
        if phase_name:
            poll.phase = phases.get(str(phase_name).casefold())
            if poll.phase is None:
                problems.append(f"{where}: the lesson has no phase '{phase_name}'")
        options = row.get("options", [])
        if row.get("options_from") == "obstacle_categories":
            options = categories
        elif row.get("options_from"):
            problems.append(f"{where}: unknown options_from '{row['options_from']}'")
        if not isinstance(options, list):
            problems.append(f"{where}: 'options' must be a list")
            options = []
        poll.options_text = "\n".join(str(option) for option in options)
        for name in ("scale_min", "scale_max", "correct_option"):
            if name in row:
                setattr(poll, name, row[name])
        for name in ("scale_min_label", "scale_max_label"):
            setattr(poll, name, str(row.get(name) or ""))
        poll.show_results_live = bool(row.get("show_results_live", False))
        try:
            poll.full_clean(exclude=["lesson"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                problems.extend(f"{where}: {name}: {message}" for message in messages)
        prepared.append(poll)
    if problems:
        raise PollsFileError(problems)
    with transaction.atomic():
        for poll in prepared:
            existing = PreparedPoll.objects.filter(lesson=lesson, question=poll.question).first()
            if existing is not None:
                poll.pk = existing.pk
            poll.save()
    return lesson, len(prepared)
