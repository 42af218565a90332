"""The groups' regions on each live screen, for a resync and a phase change (facilitation.live.screens)."""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.live import broadcast
from facilitation.models import BreakoutGroup, GroupMember, LiveSession, Participant
from facilitation.tools.groups import rules as groups

LEARNER_REGIONS = ("group_picker", "group_message", "group_room")
PANEL_REGIONS = ("groups_controls", "groups_present", "groups_board", "groups_observations")


def dashboard(session: LiveSession) -> str:
    return broadcast.render(
        groups.REGIONS, PANEL_REGIONS, {"session": session, "groups": groups.panel(session)}, oob=True
    )


def projector(session: LiveSession) -> str:
    context = {"session": session, "groups_stage": groups.stage(session)}
    return broadcast.render(groups.REGIONS, ("groups_projector",), context, oob=True)


def learners(session: LiveSession, participants: Sequence[Participant]) -> dict[int, str]:
    """The room is the same for every member of a group: rendered once per group (and once for learners in
    none), the members read in one query."""
    phase = groups.current_phase(session)
    grouping = groups.active_grouping(session)
    mine: dict[int, BreakoutGroup] = {}
    if grouping is not None:
        members = GroupMember.objects.filter(grouping=grouping, participant__in=participants)
        for member in members.select_related("group__grouping", "group__case_study"):
            mine[member.participant_id] = member.group
    picker = groups.picker(session, grouping, phase)

    def render(p: Participant) -> str:
        group = mine.get(p.pk)
        context = {
            "session": session,
            "group_picker": picker,
            "group_message": groups.latest_message(session, group) if group else None,
            "my_group_id": group.pk if group else None,
            "room": groups.room(session, group, phase),
        }
        return broadcast.render(groups.REGIONS, LEARNER_REGIONS, context, oob=True)

    return broadcast.per_learner(
        participants, key=lambda p: mine[p.pk].pk if p.pk in mine else None, render=render
    )


def view(session: LiveSession, name: str, query: dict[str, str]) -> str:
    """A facilitator's look-in page: the group's room, read-only."""
    if name != "look-in":
        return ""
    allowed = groups.view_socket_groups(session, name, query)
    if not allowed:
        return ""
    group = groups.group_for_facilitator(session, int(query["group"]))
    if group is None:
        return ""
    shown = groups.room(session, group)
    shown.visible = True
    context = {"session": session, "room": shown, "group": group, "peek": True}
    return broadcast.render(groups.REGIONS, ("group_room",), context, oob=True)
