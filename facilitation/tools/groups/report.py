"""The breakout groups' report section (each group's analysis, strategy, observations) and datasets."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from facilitation.models import (
    LiveSession,
)
from facilitation.report import iso_time


@dataclass
class GroupSummary:
    name: str
    grouping: str
    case_study: str
    members: int
    analysis: list[tuple[str, str]]
    strategy: list[tuple[str, str]]
    annotations: int


def _groups(session: LiveSession) -> dict:
    """The groups of every grouping that was used (the current one, and earlier ones with work: a trial
    grouping nobody wrote in is not shown), with case analysis and strategy, and the facilitator's
    observations."""
    from facilitation.models import BreakoutGroup, Observation
    from facilitation.tools.groups.rules import (
        ANALYSIS_FIELDS,
        STRATEGY_FIELDS,
        active_grouping,
        field_options,
        grouping_work,
    )

    options = {kind: dict(field_options(session, kind)) for kind in ("categories", "domains", "roles")}

    def shown(spec, value: str) -> str:
        if spec.is_text or not value:
            return value
        return ", ".join(options[spec.kind].get(key, key) for key in value.split(","))

    work = grouping_work(session)
    used = [pk for pk, done in work.items() if done]
    current = active_grouping(session)
    if current is not None:
        used.append(current.pk)
    groups = (
        BreakoutGroup.objects.filter(grouping__session=session, grouping_id__in=used)
        .select_related("grouping", "case_study")
        .annotate(
            member_count=Count("members", distinct=True), annotation_count=Count("annotations", distinct=True)
        )
        .prefetch_related("fields")
        .order_by("grouping__created_at", "number")
    )
    summaries = []
    for group in groups:
        values = {f.key: f.value for f in group.fields.all()}
        summaries.append(
            GroupSummary(
                name=group.name,
                grouping=f"{group.grouping.get_strategy_display()} groups, {group.grouping.created_at:%H:%M}",
                case_study=group.case_study.title if group.case_study else "",
                members=group.member_count,
                analysis=[(spec.label, shown(spec, values.get(spec.key, ""))) for spec in ANALYSIS_FIELDS],
                strategy=[(spec.label, shown(spec, values.get(spec.key, ""))) for spec in STRATEGY_FIELDS],
                annotations=group.annotation_count,
            )
        )
    observations = (
        Observation.objects.filter(session=session)
        .select_related("group", "participant", "phase__phase")
        .order_by("created_at")
    )
    return {"groups": summaries, "observations": list(observations)}


def _grouping_label(grouping) -> str:
    return f"{grouping.get_strategy_display()} groups, {timezone.localtime(grouping.created_at):%H:%M}"


def annotation_rows(session: LiveSession) -> list[list]:
    from facilitation.models import Annotation

    rows: list[list] = [
        ["grouping", "group", "case_study", "quote", "start", "comment", "category", "author", "created_at"]
    ]
    annotations = (
        Annotation.objects.filter(group__grouping__session=session)
        .select_related("group__grouping", "group__case_study", "category", "participant")
        .order_by("group__grouping__created_at", "group__number", "start", "created_at", "pk")
    )
    for a in annotations:
        rows.append(
            [
                _grouping_label(a.group.grouping),
                a.group.name,
                a.group.case_study.title if a.group.case_study else "",
                a.quote,
                a.start,
                a.comment,
                a.category.name if a.category else "",
                a.participant.display_name if a.participant else "",
                iso_time(a.created_at),
            ]
        )
    return rows


def group_field_rows(session: LiveSession) -> list[list]:
    """Each group's case analysis and strategy, one row per field, with its version and last editor."""
    from facilitation.models import GroupField
    from facilitation.tools.groups.rules import FIELD_BY_KEY, field_options

    options = {kind: dict(field_options(session, kind)) for kind in ("categories", "domains", "roles")}
    rows: list[list] = [
        ["grouping", "group", "field", "label", "value", "version", "last_editor", "updated_at"]
    ]
    fields = (
        GroupField.objects.filter(group__grouping__session=session)
        .select_related("group__grouping", "updated_by")
        .order_by("group__grouping__created_at", "group__number", "pk")
    )
    order = {key: i for i, key in enumerate(FIELD_BY_KEY)}
    for f in sorted(
        fields, key=lambda f: (f.group.grouping.created_at, f.group.number, order.get(f.key, 99))
    ):
        spec = FIELD_BY_KEY.get(f.key)
        value = f.value
        if spec and not spec.is_text and value:
            value = ", ".join(options[spec.kind].get(k, k) for k in value.split(",") if k)
        rows.append(
            [
                _grouping_label(f.group.grouping),
                f.group.name,
                f.key,
                spec.label if spec else f.key,
                value,
                f.version,
                f.updated_by.display_name if f.updated_by else "",
                iso_time(f.updated_at),
            ]
        )
    return rows


def report_context(session: LiveSession, *, names: bool) -> dict:
    return {"breakout": _groups(session)}


DATASETS = {
    "annotations": annotation_rows,
    "group-fields": group_field_rows,
}
