"""Breakout groups: forming them, late joiners, the group room, collaborative fields with conflicts,
annotations, the group wall, the facilitator's controls, presenting, who may do what, pushes and queries."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import (
    Annotation,
    BreakoutGroup,
    GroupField,
    Grouping,
    GroupMessage,
    Note,
    Observation,
    WorksheetAnswer,
)
from facilitation.tools.groups import rules as groups
from lessons.models import CaseStudy, DiscussionQuestion, WorksheetItem
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
SCENARIO = (
    "Harbourline sells *furniture* online.\n\n"
    "Nobody told the data team that the forecast depends on their tables."
)


@pytest.fixture(autouse=True)
def _many_joins(settings):
    """These tests join many learners from one address; the join rate limit has tests of its own."""
    settings.JOIN_RATE = "10000/m"
    cache.clear()


@pytest.fixture
def pushes(monkeypatch):
    """Every (group, html) sent and every socket move, instead of a channel layer."""
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    monkeypatch.setattr(
        broadcast,
        "move_sockets",
        lambda group, add=(), discard=(): sent.append((group, f"MOVE +{add} -{discard}")),
    )
    return sent


@pytest.fixture
def lesson():
    lesson = make_lesson()
    for case in CaseStudy.objects.filter(lesson=lesson):
        case.scenario = SCENARIO
        case.save()
        DiscussionQuestion.objects.create(case_study=case, order=0, text=f"What went wrong in {case.title}?")
    return lesson


@pytest.fixture
def session(owner, lesson):
    """A started session moved to Explore (the case-study tool)."""
    session = make_session(lesson=lesson, owner=owner, started=True)
    return control.next_phase(session)


@pytest.fixture
def four(session):
    """Two novices and two experienced learners."""
    return [
        learner(session, "Ada", "novice", "data"),
        learner(session, "Bo", "novice", "finance"),
        learner(session, "Cy", "experienced", "ml"),
        learner(session, "Di", "experienced", "management"),
    ]


def form_groups(staff, session, strategy="mixed", by="count", number=2, cap=""):
    return staff.post(
        reverse("facilitation:group_create", args=[session.code]),
        {"strategy": strategy, "by": by, "number": number, "cap": cap},
        headers=HX,
    )


def group_of(participant) -> BreakoutGroup:
    return groups.group_of(participant)


def save(client, session, key, value, version, *, choices=None):
    data = {"version": version, "client": "tab"}
    if choices is not None:
        data["choice"] = choices
    else:
        data["value"] = value
    return client.post(reverse("facilitation:group_field", args=[session.code, key]), data, headers=HX)


# --- Forming groups ------------------------------------------------------------------------------------------


def test_it_forms_mixed_groups_with_a_case_study_matched_to_each_group(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = form_groups(staff, session)
    assert response.status_code == 200
    grouping = Grouping.objects.get(session=session, active=True)
    made = list(grouping.groups.all())
    assert len(made) == 2
    for group in made:
        levels = sorted(m.participant.experience for m in group.members.all())
        assert levels == ["experienced", "novice"]
    # Both groups are mixed (intermediate); the lesson has one intermediate case, so the second group reads the
    # nearest other complexity (the easier one): groups never share a case while there are enough.
    assert [g.case_study.complexity for g in made] == ["intermediate", "introductory"]
    # Each learner's sockets follow them into their group, and the room is sent after the move.
    for _, participant in four:
        group = group_of(participant)
        moves = [
            i for i, (g, html) in enumerate(pushes) if g == participant.group_name and html.startswith("MOVE")
        ]
        rooms = [
            i
            for i, (g, html) in enumerate(pushes)
            if g == participant.group_name and 'id="group-room"' in html
        ]
        assert moves and rooms and moves[0] < rooms[0]
        assert f"breakout-{group.pk}" in pushes[moves[0]][1]


def test_a_group_of_novices_reads_the_introductory_case_and_experts_the_advanced(session, staff):
    for name in ["A", "B", "C"]:
        learner(session, name, "novice", "data")
    for name in ["X", "Y", "Z"]:
        learner(session, name, "experienced", "finance")
    form_groups(staff, session, strategy="role", number=2)
    cases = {}
    for group in BreakoutGroup.objects.filter(grouping__active=True):
        levels = {m.participant.experience for m in group.members.all()}
        cases[frozenset(levels)] = group.case_study.complexity
    assert cases == {frozenset({"novice"}): "introductory", frozenset({"experienced"}): "advanced"}


def test_it_refuses_bad_grouping_requests_with_a_message(session, staff):
    response = form_groups(staff, session, number=2)
    assert response.status_code == 400
    assert "Nobody has joined" in response.content.decode()
    learner(session, "Ada")
    response = form_groups(staff, session, number=0)
    assert response.status_code == 400 and "at least one person" in response.content.decode()
    response = form_groups(staff, session, strategy="alphabet")
    assert response.status_code == 400
    assert not Grouping.objects.exists()


def test_new_groups_replace_the_old_ones_and_keeping_changes_nothing(session, four, staff):
    form_groups(staff, session)
    first = Grouping.objects.get(active=True)
    form_groups(staff, session, strategy="random", by="size", number=4)
    assert not Grouping.objects.filter(pk=first.pk).exists()  # nobody wrote in it: a trial, replaced
    assert Grouping.objects.filter(active=True).count() == 1
    assert BreakoutGroup.objects.filter(grouping__active=True).count() == 1


def test_trying_every_strategy_leaves_one_grouping_not_a_pile_of_empty_ones(session, four, staff, owner):
    for strategy in ("random", "mixed", "role", "self", "worksheet", "random", "mixed"):
        assert form_groups(staff, session, strategy=strategy, number=2).status_code == 200
    assert Grouping.objects.filter(session=session).count() == 1
    report = staff.get(reverse("facilitation:report", args=[session.code])).content.decode()
    assert report.count('class="group-report"') == 2


def test_new_groups_keep_the_previous_grouping_when_someone_wrote_in_it(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    assert save(client, session, "evidence", "The forecast job reads stale tables", 0).status_code == 200
    worked = Grouping.objects.get(active=True)
    assert (
        "Their work so far: 1 filled field"
        in staff.get(reverse("facilitation:group_panel", args=[session.code])).content.decode()
    )
    form_groups(staff, session, strategy="random", number=2)
    form_groups(staff, session, strategy="role", number=2)  # this trial replaces the one before it
    assert set(Grouping.objects.filter(session=session).values_list("pk", "active")) == {
        (worked.pk, False),
        (Grouping.objects.get(active=True).pk, True),
    }
    report = staff.get(reverse("facilitation:report", args=[session.code])).content.decode()
    assert "The forecast job reads stale tables" in report and report.count('class="group-report"') == 4


def test_the_facilitator_discards_the_current_grouping_and_its_work(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "evidence", "Discard me", 0)
    client.post(
        reverse("facilitation:group_note", args=[session.code]), {"text": "Group note", "colour": "pink"}
    )
    group = group_of(ada)
    panel = staff.get(reverse("facilitation:group_panel", args=[session.code])).content.decode()
    assert "Discard this grouping" in panel and "and their work (1 filled field, 1 wall note)" in panel
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("facilitation:group_control", args=[session.code, "discard"]), headers=HX
        )
    assert response.status_code == 200 and "No groups yet" in response.content.decode()
    assert not Grouping.objects.filter(session=session).exists()
    assert not GroupField.objects.exists() and not Note.objects.filter(group_key=f"group-{group.pk}").exists()
    assert group_of(ada) is None
    assert (ada.group_name, f"MOVE +[] -['breakout-{group.pk}']") in pushes
    again = staff.post(reverse("facilitation:group_control", args=[session.code, "discard"]), headers=HX)
    assert again.status_code == 400 and "no current groups" in again.content.decode()


def test_an_ended_sessions_groups_cannot_be_discarded(session, four, staff):
    form_groups(staff, session)
    control.end(session)
    response = staff.post(reverse("facilitation:group_control", args=[session.code, "discard"]), headers=HX)
    assert response.status_code == 400 and "The session has ended" in response.content.decode()
    assert Grouping.objects.filter(session=session).exists()


def test_a_late_joiner_goes_into_the_smallest_group(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    form_groups(staff, session, number=2)
    # Joining places a latecomer at once (the join view calls place_late_joiner).
    with django_capture_on_commit_callbacks(execute=True):
        _, eve = learner(session, "Eve", "novice")
    group = group_of(eve)
    assert group is not None
    _, fay = learner(session, "Fay", "novice")
    assert group_of(fay) is not None and group_of(fay) != group
    sizes = sorted(g.members.count() for g in BreakoutGroup.objects.filter(grouping__active=True))
    assert sizes == [3, 3]
    assert any(g == eve.group_name and "MOVE" in html for g, html in pushes)
    assert groups.place_late_joiner(fay) is None  # already placed


def test_no_groups_means_no_late_placement(session):
    _, ada = learner(session, "Ada")
    assert groups.place_late_joiner(ada) is None


def test_learners_choose_their_group_up_to_the_cap(session, staff):
    ada_client, ada = learner(session, "Ada")
    bo_client, bo = learner(session, "Bo")
    form_groups(staff, session, strategy="self", by="count", number=2, cap=1)
    first, second = BreakoutGroup.objects.filter(grouping__active=True)
    page = ada_client.get(reverse("facilitation:learner", args=[session.code])).content.decode()
    assert "Choose your group" in page
    assert (
        ada_client.post(
            reverse("facilitation:group_choose", args=[session.code, first.pk]), headers=HX
        ).status_code
        == 200
    )
    refused = bo_client.post(reverse("facilitation:group_choose", args=[session.code, first.pk]), headers=HX)
    assert refused.status_code == 409 and "is full" in refused.content.decode()
    assert (
        bo_client.post(
            reverse("facilitation:group_choose", args=[session.code, second.pk]), headers=HX
        ).status_code
        == 200
    )
    assert group_of(ada) == first and group_of(bo) == second
    _, late = learner(session, "Cy")
    assert groups.place_late_joiner(late) is None  # in self-select, late joiners choose too


def test_learners_cannot_choose_in_groups_the_facilitator_made(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    other = BreakoutGroup.objects.filter(grouping__active=True).exclude(pk=group_of(ada).pk).first()
    response = client.post(reverse("facilitation:group_choose", args=[session.code, other.pk]), headers=HX)
    assert response.status_code == 409
    assert group_of(ada) != other


def test_the_facilitator_moves_renames_and_sets_case_link_and_categories(session, four, staff, lesson):
    form_groups(staff, session)
    _, ada = four[0]
    target = BreakoutGroup.objects.filter(grouping__active=True).exclude(pk=group_of(ada).pk).first()
    url = reverse("facilitation:group_control", args=[session.code, "move"])
    assert staff.post(url, {"participant": ada.pk, "group": target.pk}, headers=HX).status_code == 200
    assert group_of(ada) == target
    action = lambda act, data: staff.post(  # noqa: E731
        reverse("facilitation:group_action", args=[session.code, target.pk, act]), data, headers=HX
    )
    assert action("rename", {"name": "  The   Pathfinders "}).status_code == 200
    advanced = CaseStudy.objects.get(lesson=lesson, complexity="advanced")
    assert action("case", {"case_study": advanced.pk}).status_code == 200
    assert action("link", {"meeting_url": "https://meet.example.org/room-1"}).status_code == 200
    category = lesson.categories.last()
    assert action("categories", {"categories": [category.pk]}).status_code == 200
    target.refresh_from_db()
    assert target.name == "The Pathfinders"
    assert target.case_study == advanced
    assert target.meeting_url == "https://meet.example.org/room-1"
    assert list(target.categories.all()) == [category]


@pytest.mark.parametrize(
    "posted, message",
    [
        ("99999999999999999999999", "Choose this lesson&#x27;s obstacle categories."),
        ("-99999999999999999999999", "Choose this lesson&#x27;s obstacle categories."),
        ("12x", "is not a valid value"),
        ("²", "is not a valid value"),
    ],
)
def test_a_category_id_that_is_no_id_is_refused_with_a_message_and_keeps_the_groups_categories(
    session, four, staff, lesson, posted, message
):
    """An id past a 64-bit integer made SQLite raise OverflowError (a 500, found by the input fuzz)."""
    form_groups(staff, session)
    target = BreakoutGroup.objects.filter(grouping__active=True).first()
    kept = lesson.categories.first()
    target.categories.set([kept])
    url = reverse("facilitation:group_action", args=[session.code, target.pk, "categories"])
    response = staff.post(url, {"categories": [posted]}, headers=HX)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode() and message in response.content.decode()
    assert list(target.categories.all()) == [kept]


@pytest.mark.parametrize(
    "url, message",
    [
        ("javascript:alert(1)", "web address"),
        ("ftp://files.example.org/x", "https://"),
        ("not a link at all", "web address"),
    ],
)
def test_meeting_links_must_be_web_addresses(session, four, staff, url, message):
    form_groups(staff, session)
    group = BreakoutGroup.objects.filter(grouping__active=True).first()
    response = staff.post(
        reverse("facilitation:group_action", args=[session.code, group.pk, "link"]),
        {"meeting_url": url},
        headers=HX,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    group.refresh_from_db()
    assert group.meeting_url == ""


def test_a_case_of_another_lesson_is_refused(session, four, staff):
    form_groups(staff, session)
    other = make_lesson(title="Other", slug="other")
    foreign = CaseStudy.objects.filter(lesson=other).first()
    group = BreakoutGroup.objects.filter(grouping__active=True).first()
    before = group.case_study_id
    response = staff.post(
        reverse("facilitation:group_action", args=[session.code, group.pk, "case"]),
        {"case_study": foreign.pk},
        headers=HX,
    )
    assert response.status_code == 400
    group.refresh_from_db()
    assert group.case_study_id == before


def test_default_categories_follow_roles_and_worksheets(session, staff, lesson):
    silos, cost = lesson.categories.all()
    _, fin1 = learner(session, "F1", role="finance")
    _, fin2 = learner(session, "F2", role="finance")
    _, dat1 = learner(session, "D1", role="data")
    _, dat2 = learner(session, "D2", role="data")
    item = WorksheetItem.objects.get(category=silos)
    for p in (dat1, dat2):
        WorksheetAnswer.objects.create(participant=p, item=item, severity=5)
    form_groups(staff, session, strategy="role", number=2)
    by_role = {}
    for group in BreakoutGroup.objects.filter(grouping__active=True):
        role = {m.participant.role for m in group.members.all()}.pop()
        by_role[role] = list(group.categories.all())
    # Cost visibility touches MLOps and FinOps (finance); the data people rated silos as critical.
    assert by_role == {"finance": [cost], "data": [silos]}


# --- The group room ------------------------------------------------------------------------------------------


def test_members_see_their_groups_room_with_case_questions_and_link(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    group = group_of(ada)
    BreakoutGroup.objects.filter(pk=group.pk).update(meeting_url="https://meet.example.org/a")
    page = client.get(reverse("facilitation:learner", args=[session.code])).content.decode()
    assert 'id="group-room"' in page
    assert group.name in page
    assert group.case_study.title in page
    assert "<em>furniture</em>" in page  # the scenario's markdown, rendered
    assert f"What went wrong in {group.case_study.title}?" in page
    assert "https://meet.example.org/a" in page
    members = page.split('class="group-members"')[1].split("</ul>")[0]
    for _, member in four:
        assert (f">{member.display_name}<" in members) == (group_of(member) == group)


def test_the_room_is_shown_only_in_group_phases(session, four, staff, owner):
    form_groups(staff, session)
    client, _ = four[0]
    url = reverse("facilitation:group_learner", args=[session.code])
    assert 'class="group-room' in client.get(url).content.decode()
    session = control.next_phase(session)  # Explain: slides
    assert 'class="group-room' not in client.get(url).content.decode()
    control.next_phase(session)  # Elaborate: the strategy comes first
    html = client.get(url).content.decode()
    assert "strategy-phase" in html and "Group strategy" in html


def test_the_room_escapes_what_people_write(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "evidence", "<script>alert(1)</script>", 0)
    staff.post(
        reverse("facilitation:group_action", args=[session.code, group_of(ada).pk, "rename"]),
        {"name": "<b>Bold</b>"},
        headers=HX,
    )
    html = client.get(reverse("facilitation:group_learner", args=[session.code])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Bold</b>" not in html


# --- Collaborative fields ------------------------------------------------------------------------------------


def test_two_members_editing_different_fields_both_keep_their_text(session, four, staff):
    form_groups(staff, session)
    (ada_client, ada), (bo_client, _) = (
        four[0],
        next((c, p) for c, p in four[1:] if group_of(p) == group_of(four[0][1])),
    )
    assert save(ada_client, session, "evidence", "Renamed column", 0).status_code == 200
    assert save(bo_client, session, "impact", "Wrong purchase orders", 0).status_code == 200
    values = dict(GroupField.objects.filter(group=group_of(ada)).values_list("key", "value"))
    assert values == {"evidence": "Renamed column", "impact": "Wrong purchase orders"}


def test_a_saves_answer_says_who_saved_last_in_the_tab_that_saved(session, four, staff):
    """The push of the field skips the tab that saved it, so the answer itself updates the "Last saved by" line."""
    form_groups(staff, session)
    ada_client, ada = four[0]
    html = save(ada_client, session, "evidence", "Renamed column", 0).content.decode()
    group = group_of(ada)
    assert re.search(
        rf'<p id="gf-{group.pk}-evidence-meta" class="gfield-meta[^"]*"[^>]* hx-swap-oob="true">Last saved by Ada</p>',
        html,
    ), html
    assert "Nobody has written here yet." not in html


def test_a_save_based_on_an_older_version_is_a_conflict_showing_both_texts(session, four, staff):
    form_groups(staff, session)
    (ada_client, ada) = four[0]
    bo_client, bo = next((c, p) for c, p in four[1:] if group_of(p) == group_of(ada))
    assert save(ada_client, session, "evidence", "Ada's evidence", 0).status_code == 200
    response = save(bo_client, session, "evidence", "Bo's evidence", 0)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Ada&#x27;s evidence" in html and "Bo&#x27;s evidence" in html
    assert "Ada saved this field while you were editing it" in html
    assert 'data-conflict-version="1"' in html
    row = GroupField.objects.get(group=group_of(ada), key="evidence")
    assert (row.value, row.version) == ("Ada's evidence", 1)
    # Keeping one's own text is an explicit save on top of the version just seen.
    assert save(bo_client, session, "evidence", "Bo's evidence", 1).status_code == 200
    row.refresh_from_db()
    assert (row.value, row.version, row.updated_by) == ("Bo's evidence", 2, bo)


def test_saving_the_stored_text_again_is_not_a_conflict(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "impact", "Same", 0)
    response = save(client, session, "impact", "Same", 0)
    assert response.status_code == 200
    assert GroupField.objects.get(group=group_of(ada), key="impact").version == 1


def test_checkbox_fields_keep_only_the_lessons_options(session, four, staff, lesson):
    form_groups(staff, session)
    client, ada = four[0]
    silos, cost = lesson.categories.all()
    response = save(client, session, "obstacles", None, 0, choices=[str(cost.pk), "9999", str(silos.pk)])
    assert response.status_code == 200
    assert GroupField.objects.get(group=group_of(ada), key="obstacles").value == f"{silos.pk},{cost.pk}"
    assert save(client, session, "owners", None, 0, choices=["data", "wizard"]).status_code == 200
    assert GroupField.objects.get(group=group_of(ada), key="owners").value == "data"


def test_too_long_text_and_unknown_fields_are_refused_and_nothing_is_lost(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "evidence", "Kept", 0)
    response = save(client, session, "evidence", "x" * 2001, 1)
    assert response.status_code == 400 and "2000 characters" in response.content.decode()
    assert GroupField.objects.get(key="evidence").value == "Kept"
    assert save(client, session, "salary", "x", 0).status_code == 404


def test_a_field_save_is_rendered_once_for_the_group_and_its_look_in_pages(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    """The field goes to the group and to facilitators looking in on it; the dashboard, which has no such
    region (it would log htmx:oobErrorNoTarget), gets the group's progress row only."""
    form_groups(staff, session)
    client, ada = four[0]
    group = group_of(ada)
    pushes.clear()
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        save(client, session, "evidence", "Pushed text", 0)
    assert broadcast.render_count - renders == 2  # the field, the facilitators' progress row
    to_group = [html for g, html in pushes if g == group.channel_group]
    to_staff = [html for g, html in pushes if g == session.group_facilitators]
    to_look_in = [html for g, html in pushes if g == group.look_in_group]
    assert len(to_group) == 1 and "Pushed text" in to_group[0] and 'data-client="tab"' in to_group[0]
    assert to_look_in == to_group
    assert len(to_staff) == 1 and f'id="group-progress-{group.pk}"' in to_staff[0] and "1/4" in to_staff[0]
    assert not any(
        g.startswith("breakout-") and g not in (group.channel_group, group.look_in_group) for g, _ in pushes
    )


# --- Annotations and the group wall ---------------------------------------------------------------------------


def test_members_annotate_a_passage_and_the_group_sees_it(
    session, four, staff, pushes, django_capture_on_commit_callbacks, lesson
):
    form_groups(staff, session)
    client, ada = four[0]
    group = group_of(ada)
    text = groups.scenario_text(group.case_study)
    quote = "the forecast depends on their tables"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("facilitation:group_annotate", args=[session.code]),
            {
                "quote": quote,
                "start": text.index(quote),
                "comment": "<i>Nobody</i> owns it",
                "category": lesson.categories.first().pk,
            },
            headers=HX,
        )
    assert response.status_code == 201
    annotation = Annotation.objects.get()
    assert (annotation.group, annotation.quote, annotation.start) == (group, quote, text.index(quote))
    pushed = next(html for g, html in pushes if g == group.channel_group)
    assert f'id="group-case-{group.pk}"' in pushed and "&lt;i&gt;Nobody&lt;/i&gt; owns it" in pushed
    data = json.loads(pushed.split('data-highlights="')[1].split('"')[0].replace("&quot;", '"'))
    assert data == [{"id": annotation.pk, "quote": quote, "start": text.index(quote)}]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"quote": "Not in the case", "comment": "x"}, "not in your group"),
        ({"quote": "Harbourline", "comment": ""}, "Add a comment or choose"),
        ({"quote": "", "comment": "x"}, "Select a passage"),
        ({"quote": "Harbourline", "comment": "x" * 501}, "500 characters"),
    ],
)
def test_bad_annotations_are_refused_with_a_message(session, four, staff, data, message):
    form_groups(staff, session)
    client, _ = four[0]
    response = client.post(reverse("facilitation:group_annotate", args=[session.code]), data, headers=HX)
    assert response.status_code in {400, 409}
    assert message in response.content.decode()
    assert not Annotation.objects.exists()


def test_members_post_to_their_group_wall_not_the_room_wall(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    response = client.post(
        reverse("facilitation:group_note", args=[session.code]), {"text": "Data contracts!"}, headers=HX
    )
    assert response.status_code == 201
    note = Note.objects.get()
    assert note.group_key == f"group-{group_of(ada).pk}"
    assert not Note.objects.room_wall().exists()
    html = client.get(reverse("facilitation:group_learner", args=[session.code])).content.decode()
    assert "Data contracts!" in html


# --- Facilitator: progress, messages, observations, presenting ------------------------------------------------


def test_a_message_to_groups_belongs_to_the_phase_it_was_sent_in(session, four, staff, pushes):
    form_groups(staff, session)
    client, _ = four[0]
    room = reverse("facilitation:group_learner", args=[session.code])
    groups.send_message(session, "10 minutes left for the case analysis")
    assert "10 minutes left" in client.get(room).content.decode()
    control.next_phase(session)
    assert "10 minutes left" not in client.get(room).content.decode()
    groups.send_message(session, "Start on your strategy")
    assert "Start on your strategy" in client.get(room).content.decode()
    control.go_to(session, session.current_index - 1)  # back to the first phase's tool: a new stretch of it
    html = client.get(room).content.decode()
    assert "10 minutes left" not in html and "Start on your strategy" not in html


def test_the_panel_shows_each_groups_progress(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "evidence", "Some", 0)
    save(client, session, "strategy", "Plan", 0)
    html = staff.get(reverse("facilitation:dashboard", args=[session.code])).content.decode()
    assert 'id="groups-panel"' in html
    group = group_of(ada)
    progress = html.split(f'id="group-progress-{group.pk}"')[1].split("</div>")[0]
    assert "1/4" in progress and "1/5" in progress


def test_messages_reach_all_groups_or_one_group(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    form_groups(staff, session)
    client, ada = four[0]
    group = group_of(ada)
    other_client, other = next((c, p) for c, p in four if group_of(p) != group)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("facilitation:group_control", args=[session.code, "message"]),
            {"text": "Five minutes left"},
            headers=HX,
        )
        staff.post(
            reverse("facilitation:group_action", args=[session.code, group.pk, "message"]),
            {"text": "Look at the budget"},
            headers=HX,
        )
    assert any(g == session.group_all and "Five minutes left" in html for g, html in pushes)
    assert any(g == group.channel_group and "Look at the budget" in html for g, html in pushes)
    mine = client.get(reverse("facilitation:group_learner", args=[session.code])).content.decode()
    theirs = other_client.get(reverse("facilitation:group_learner", args=[session.code])).content.decode()
    assert "Look at the budget" in mine and "Look at the budget" not in theirs
    assert "Five minutes left" in theirs
    empty = staff.post(
        reverse("facilitation:group_control", args=[session.code, "message"]), {"text": "  "}, headers=HX
    )
    assert empty.status_code == 400 and "Write the message first" in empty.content.decode()
    assert GroupMessage.objects.count() == 2


def test_observations_are_tagged_with_the_phase(session, four, staff):
    form_groups(staff, session)
    _, ada = four[0]
    group = group_of(ada)
    url = reverse("facilitation:group_action", args=[session.code, group.pk, "observe"])
    assert (
        staff.post(url, {"text": "Ada leads the discussion", "participant": ada.pk}, headers=HX).status_code
        == 200
    )
    assert staff.post(url, {"text": "Quiet group"}, headers=HX).status_code == 200
    observations = list(Observation.objects.order_by("id"))
    assert [(o.group, o.participant, o.phase.phase.name) for o in observations] == [
        (group, ada, "Explore"),
        (group, None, "Explore"),
    ]
    panel = staff.get(reverse("facilitation:group_panel", args=[session.code])).content.decode()
    assert "Ada leads the discussion" in panel


def test_presenting_shows_one_groups_strategy_on_the_projector_then_the_next(
    session, four, staff, pushes, django_capture_on_commit_callbacks
):
    form_groups(staff, session)
    client, ada = four[0]
    control.next_phase(control.next_phase(session))  # Elaborate
    save(client, session, "strategy", "A shared backlog for data and ML", 0)
    first, second = BreakoutGroup.objects.filter(grouping__active=True)
    url = reverse("facilitation:group_control", args=[session.code, "present-next"])
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, headers=HX)
    projector = [html for g, html in pushes if g == session.group_projector]
    assert projector and "Presenting" in projector[-1] and first.name in projector[-1]
    if group_of(ada) == first:
        assert "A shared backlog for data and ML" in projector[-1]
    staff.post(url, headers=HX)
    assert Grouping.objects.get(active=True).presenting == second
    staff.post(url, headers=HX)
    assert Grouping.objects.get(active=True).presenting == first  # wraps round
    page = staff.get(reverse("facilitation:group_projector", args=[session.code])).content.decode()
    assert "Presenting" in page
    staff.post(reverse("facilitation:group_control", args=[session.code, "present-stop"]), headers=HX)
    assert Grouping.objects.get(active=True).presenting is None


def test_the_facilitator_looks_into_a_group_read_only(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    save(client, session, "impact", "Lost sales", 0)
    group = group_of(ada)
    page = staff.get(reverse("facilitation:group_look_in", args=[session.code, group.pk])).content.decode()
    assert "Lost sales" in page and 'fieldset class="peek" disabled' in page


# --- Access ------------------------------------------------------------------------------------------------------


def test_a_learner_changes_only_their_own_groups_work(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    other_client, other = next((c, p) for c, p in four if group_of(p) != group_of(ada))
    save(other_client, session, "evidence", "Theirs", 0)
    save(client, session, "evidence", "Mine", 0)
    assert GroupField.objects.get(group=group_of(other)).value == "Theirs"
    assert GroupField.objects.get(group=group_of(ada)).value == "Mine"
    mine = client.get(reverse("facilitation:group_learner", args=[session.code])).content.decode()
    assert "Theirs" not in mine


def test_a_learner_cannot_remove_another_groups_annotation(session, four, staff):
    form_groups(staff, session)
    client, ada = four[0]
    other = next(p for _, p in four if group_of(p) != group_of(ada))
    annotation = Annotation.objects.create(
        group=group_of(other), participant=other, quote="Harbourline", comment="x"
    )
    url = reverse("facilitation:group_annotation_remove", args=[session.code, annotation.pk])
    assert client.post(url, headers=HX).status_code == 409
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_strangers_and_learners_of_other_sessions_get_nothing(session, four, staff, owner):
    form_groups(staff, session)
    group = group_of(four[0][1])
    elsewhere = make_session(lesson=session.lesson, owner=owner, started=True)
    outsider_client, _ = learner(elsewhere, "Zed")
    stranger = Client()
    for client in (outsider_client, stranger):
        for name, args in [
            ("group_learner", [session.code]),
        ]:
            assert client.get(reverse(f"facilitation:{name}", args=args)).status_code == 404
        assert save(client, session, "evidence", "x", 0).status_code == 404
        url = reverse("facilitation:group_annotate", args=[session.code])
        assert client.post(url, {"quote": "Harbourline", "comment": "x"}, headers=HX).status_code == 404
        assert (
            client.post(reverse("facilitation:group_note", args=[session.code]), {"text": "x"}).status_code
            == 404
        )
        url = reverse("facilitation:group_choose", args=[session.code, group.pk])
        assert client.post(url, headers=HX).status_code == 404
    assert not GroupField.objects.exists() and not Note.objects.exists()


def test_a_learner_without_a_group_cannot_post_group_work(session, staff):
    client, _ = learner(session, "Solo")
    assert save(client, session, "evidence", "x", 0).status_code == 404


FACILITATOR_POSTS = [
    ("group_create", {}, {"strategy": "random", "by": "count", "number": 2}),
    ("group_control", {"action": "message"}, {"text": "hi"}),
    ("group_control", {"action": "present-next"}, {}),
    ("group_action", {"action": "rename"}, {"name": "Hacked"}),
    ("group_action", {"action": "observe"}, {"text": "x"}),
]


@pytest.mark.parametrize("name, kwargs, data", FACILITATOR_POSTS)
def test_only_the_sessions_facilitators_manage_groups(session, four, staff, name, kwargs, data):
    form_groups(staff, session)
    group = BreakoutGroup.objects.filter(grouping__active=True).first()
    if name == "group_action":
        kwargs = {**kwargs, "group_id": group.pk}
    url = reverse(f"facilitation:{name}", kwargs={"code": session.code, **kwargs})
    teammate = Client()
    teammate.force_login(make_user(username="teammate"))
    learner_client = four[0][0]
    for client in (teammate, learner_client):
        response = client.post(url, data, headers=HX)
        assert response.status_code in {302, 404}
    group.refresh_from_db()
    assert group.name != "Hacked"
    assert (
        Grouping.objects.count() == 1
        and not GroupMessage.objects.exists()
        and not Observation.objects.exists()
    )
    for view in ("group_panel", "group_projector"):
        assert teammate.get(reverse(f"facilitation:{view}", args=[session.code])).status_code == 404
    look = reverse("facilitation:group_look_in", args=[session.code, group.pk])
    assert teammate.get(look).status_code == 404


def test_a_facilitator_cannot_act_on_a_group_of_another_session(session, four, staff, owner):
    form_groups(staff, session)
    other_session = make_session(lesson=session.lesson, owner=make_user(username="other"), started=True)
    make_participant(session=other_session, name="Q")
    groups.create_grouping(other_session, strategy="random", count=1)
    foreign = BreakoutGroup.objects.get(grouping__session=other_session)
    url = reverse("facilitation:group_action", args=[session.code, foreign.pk, "rename"])
    assert staff.post(url, {"name": "Mine now"}, headers=HX).status_code == 400
    assert (
        staff.get(reverse("facilitation:group_look_in", args=[session.code, foreign.pk])).status_code == 404
    )
    foreign.refresh_from_db()
    assert foreign.name == "Group 1"


# --- Queries --------------------------------------------------------------------------------------------------------


def _fill(session, n, staff, prefix):
    people = [
        learner(
            session, f"{prefix}{i}", "novice" if i % 2 else "experienced", ["data", "ml", "finance"][i % 3]
        )
        for i in range(n)
    ]
    form_groups(staff, session, by="size", number=3)
    for client, participant in people:
        save(
            client,
            session,
            "evidence",
            f"From {participant.name}",
            GroupField.objects.filter(group=group_of(participant), key="evidence")
            .values_list("version", flat=True)
            .first()
            or 0,
        )
        group = group_of(participant)
        Annotation.objects.create(group=group, participant=participant, quote="Harbourline", comment="c")
        Note.objects.create(session=session, participant=participant, group_key=f"group-{group.pk}", text="n")
        Observation.objects.create(session=session, group=group, participant=participant, text="o")
    return people


def test_the_dashboard_panel_and_the_room_make_the_same_number_of_queries_at_two_sizes(
    session, staff, django_assert_max_num_queries, owner
):
    people = _fill(session, 4, staff, "S")
    panel_url = reverse("facilitation:group_panel", args=[session.code])
    room_url = reverse("facilitation:group_learner", args=[session.code])
    with django_assert_max_num_queries(60) as small_panel:
        staff.get(panel_url)
    with django_assert_max_num_queries(60) as small_room:
        people[0][0].get(room_url)
    people += _fill(session, 9, staff, "L")
    with django_assert_max_num_queries(60) as large_panel:
        staff.get(panel_url)
    with django_assert_max_num_queries(60) as large_room:
        people[0][0].get(room_url)
    assert len(small_panel.captured_queries) == len(large_panel.captured_queries)
    assert len(small_room.captured_queries) == len(large_room.captured_queries)
