"""The slides' report section (Q&A by slide and by category) and its dataset: the questions."""

from __future__ import annotations

from facilitation.models import (
    LiveSession,
)
from facilitation.report import iso_time


def _explain(session: LiveSession) -> dict:
    from facilitation.tools.slides.rules import questions_by_category, questions_by_slide

    slides = questions_by_slide(session)
    return {
        "questions_by_slide": slides,
        "question_count": sum(len(s.questions) for s in slides),
        "upvote_count": sum(s.upvotes for s in slides),
        "questions_by_category": questions_by_category(session),
    }


def question_rows(session: LiveSession) -> list[list]:
    """Every question with its slide, upvotes and state; the author only when they chose to show their name."""
    from facilitation.tools.slides.rules import questions_by_slide

    rows: list[list] = [
        [
            "question_id",
            "slide",
            "slide_kind",
            "category",
            "text",
            "upvotes",
            "pinned",
            "answered",
            "hidden",
            "author",
            "asked_at",
        ]
    ]
    for slide in questions_by_slide(session):
        for q in slide.questions:
            author = None if q.anonymous else q.participant  # named only when they chose to be
            rows.append(
                [
                    q.pk,
                    slide.title,
                    slide.kind,
                    q.category.name if q.category else "",
                    q.text,
                    q.vote_count,  # type: ignore[attr-defined]  # with_votes() annotates it
                    "yes" if q.pinned else "no",
                    "yes" if q.answered else "no",
                    "yes" if q.hidden else "no",
                    author.display_name if author is not None else "",
                    iso_time(q.created_at),
                ]
            )
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"explain": _explain(session)}


DATASETS = {
    "questions": question_rows,
}
