"""The worksheets' report section (the room's heatmap) and its dataset: every answer."""

from __future__ import annotations

from facilitation.models import (
    LiveSession,
    WorksheetAnswer,
)
from facilitation.report import iso_time
from facilitation.tools.worksheets.results import room_heatmap


def worksheet_rows(session: LiveSession) -> list[list]:
    rows = [["participant", "category", "item", "severity", "applies", "comment", "updated_at"]]
    answers = (
        WorksheetAnswer.objects.filter(participant__session=session)
        .select_related("participant", "item__category")
        .order_by("participant__joined_at", "item__category__order", "item__order")
    )
    for a in answers:
        rows.append(
            [
                a.participant.display_name,
                a.item.category.name,
                a.item.prompt,
                a.severity or "",
                "yes" if a.applies else "no",
                a.comment,
                iso_time(a.updated_at),
            ]
        )
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"heatmap": room_heatmap(session)}


DATASETS = {
    "worksheet-answers": worksheet_rows,
}
