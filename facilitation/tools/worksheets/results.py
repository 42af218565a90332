"""What the room's obstacle assessment worksheets say, aggregated for the heatmap, groups, slides and plans.

Pure aggregation over WorksheetAnswer rows in a fixed number of queries, whatever the number of learners."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from facilitation.models import LiveSession, Participant, WorksheetAnswer
from lessons.models import ObstacleCategory

SEVERITIES = (1, 2, 3, 4, 5)


@dataclass
class CategoryResult:
    category: ObstacleCategory
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    not_applicable: int = 0

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.answered
        return sum(s * n for s, n in self.counts.items()) / total if total else None

    def share(self, severity: int) -> float:
        """Fraction of answers at this severity, 0..1 (for the heatmap's colour intensity)."""
        return self.counts[severity] / self.answered if self.answered else 0.0


@dataclass
class Heatmap:
    rows: list[CategoryResult]
    respondents: int

    def for_category(self, category_id: int) -> CategoryResult | None:
        return next((row for row in self.rows if row.category.pk == category_id), None)


def room_heatmap(session: LiveSession, *, role: str | None = None, experience: str | None = None) -> Heatmap:
    """Severity distribution per obstacle category for the session, optionally for one role or level."""
    categories = list(session.lesson.categories.all())
    rows = {c.pk: CategoryResult(c) for c in categories}
    answers = WorksheetAnswer.objects.filter(participant__session=session)
    if role:
        answers = answers.filter(participant__role=role)
    if experience:
        answers = answers.filter(participant__experience=experience)
    respondents = set()
    for participant_id, category_id, severity, applies in answers.values_list(
        "participant_id", "item__category_id", "severity", "applies"
    ):
        row = rows.get(category_id)
        if row is None:
            continue
        respondents.add(participant_id)
        if not applies:
            row.not_applicable += 1
        elif severity in row.counts:
            row.counts[severity] += 1
    return Heatmap(rows=[rows[c.pk] for c in categories], respondents=len(respondents))


def participant_category_scores(participant: Participant) -> list[tuple[ObstacleCategory, float]]:
    """The learner's mean severity per category they rated, most severe first (ties: lesson order)."""
    return category_scores_of(participant.session, [participant])[participant.pk]


def category_scores_of(session, participants) -> dict[int, list[tuple[ObstacleCategory, float]]]:
    """`participant_category_scores` for each of `participants`, in two queries for any number of them."""
    sums: dict[int, dict[int, list[int]]] = {p.pk: defaultdict(list) for p in participants}
    for pid, category_id, severity in WorksheetAnswer.objects.filter(
        participant__in=participants, applies=True, severity__isnull=False
    ).values_list("participant_id", "item__category_id", "severity"):
        sums[pid][category_id].append(severity)
    categories = {c.pk: c for c in session.lesson.categories.all()}
    out = {}
    for pid, mine in sums.items():
        scored = [(categories[cid], sum(v) / len(v)) for cid, v in mine.items() if cid in categories]
        out[pid] = sorted(scored, key=lambda pair: (-pair[1], pair[0].order, pair[0].pk))
    return out
