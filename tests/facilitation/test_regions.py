"""Every region a push carries to the dashboard or the projector has its target on that screen. A region with no
target is dropped by htmx with `htmx:oobErrorNoTarget` in the console: the dashboard logged ≈250 in a real run,
most of them groups' work meant for the facilitators' look-in pages. Each tool's pushes are sent with every
flag on, for a whole workshop's data, running and ended."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from facilitation.live import broadcast
from facilitation.models import BreakoutGroup, LiveSession, Note
from facilitation.tools.action_plan import rules as action_plan
from facilitation.tools.groups import rules as groups
from facilitation.tools.polls import rules as polls
from facilitation.tools.slides import rules as slides
from facilitation.tools.support import rules as support
from facilitation.tools.wall import rules as wall
from facilitation.tools.worksheets import rules as worksheets
from tests.factories import play_workshop

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TopLevelIds(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth, self.ids = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0 and dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0 and dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1


def top_level_ids(html: str) -> list[str]:
    parser = _TopLevelIds()
    parser.feed(html)
    return parser.ids


def every_push(session: LiveSession) -> None:
    sid = session.pk
    group = BreakoutGroup.objects.filter(grouping__session=session, grouping__active=True).first()
    broadcast.clock_changed(sid)
    broadcast.people_changed(sid)
    wall.push(sid, settings=True, clusters=True, visibility=True)
    wall.push_new_notes(
        sid, list(Note.objects.filter(session=session, cluster=None).values_list("pk", flat=True))
    )
    polls.push(sid, learners=True)
    worksheets.push(sid, projector_changed=True)
    groups.push_panel(sid)
    groups.push_stage(sid)
    groups.push_rooms(sid)
    groups.push_progress(group.pk)
    groups.push_work(group.pk, ("group_case", "group_wall"))
    slides.push(sid, slide=True, questions=True, visibility=True)
    action_plan.push(sid, settings=True)
    support.push_help(sid, session.participants.first().pk)
    support.push_shift(sid)
    support.push_reflections(sid)


@pytest.mark.parametrize("ended", [True, False])
def test_every_region_pushed_to_the_dashboard_and_the_projector_has_a_target_there(
    client, monkeypatch, ended
):
    session = play_workshop(learners=6)
    if not ended:
        LiveSession.objects.filter(pk=session.pk).update(ended_at=None)
        session.refresh_from_db()
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)) if html else None)
    every_push(session)
    client.force_login(session.owner)
    screens = {
        session.group_facilitators: client.get(reverse("facilitation:dashboard", args=[session.code])),
        session.group_projector: client.get(reverse("facilitation:projector", args=[session.code])),
    }
    for group, page in screens.items():
        on_screen = set(re.findall(r'\bid="([^"]+)"', page.content.decode()))
        pushed = {region for to, html in sent if to == group for region in top_level_ids(html)}
        assert pushed, f"nothing was pushed to {group}"
        assert pushed - on_screen == set(), f"regions pushed to {group} with no target there"
