"""The wall's report section (clusters with their top notes) and its datasets: notes, votes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from facilitation.models import (
    Cluster,
    LiveSession,
    Note,
    Vote,
)
from facilitation.report import iso_time

TOP_NOTES = 5


@dataclass
class ClusterSummary:
    name: str
    notes: list
    total_notes: int
    total_votes: int


def _wall(session: LiveSession) -> dict:
    notes = list(
        Note.objects.filter(session=session, group_key="", hidden=False)
        .annotate(vote_total=Count("votes"))
        .order_by("-vote_total", "created_at")
    )
    clusters = {c.pk: ClusterSummary(c.name, [], 0, 0) for c in Cluster.objects.filter(session=session)}
    loose = ClusterSummary("Not clustered", [], 0, 0)
    for note in notes:
        summary = clusters.get(note.cluster_id, loose)
        summary.total_notes += 1
        summary.total_votes += note.vote_total
        if len(summary.notes) < TOP_NOTES:
            summary.notes.append(note)
    ordered = sorted(clusters.values(), key=lambda c: (-c.total_votes, -c.total_notes))
    return {
        "clusters": [c for c in [*ordered, loose] if c.total_notes],
        "note_count": len(notes),
        "hidden_count": Note.objects.filter(session=session, hidden=True).count(),
    }


def note_rows(session: LiveSession) -> list[list]:
    rows = [["note_id", "wall", "text", "colour", "cluster", "votes", "hidden", "author", "created_at"]]
    notes = (
        Note.objects.filter(session=session)
        .select_related("cluster", "participant")
        .annotate(vote_total=Count("votes"))
        .order_by("created_at")
    )
    for n in notes:
        author = n.participant.display_name if n.participant else ""
        rows.append(
            [
                n.pk,
                n.group_key or "room",
                n.text,
                n.colour,
                n.cluster.name if n.cluster else "",
                n.vote_total,
                "yes" if n.hidden else "no",
                author,
                iso_time(n.created_at),
            ]
        )
    return rows


def vote_rows(session: LiveSession) -> list[list]:
    rows: list[list] = [["note_id", "participant", "voted_at"]]
    for v in Vote.objects.filter(note__session=session).select_related("participant").order_by("created_at"):
        rows.append([v.note_id, v.participant.display_name, iso_time(v.created_at)])
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"wall": _wall(session)}


DATASETS = {
    "notes": note_rows,
    "votes": vote_rows,
}
