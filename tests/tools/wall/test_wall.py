"""The brainstorm wall: posting, limits, escaping, anonymity, voting integrity, clusters, moderation, the
prompt, who may do what, and pushes (one render per audience, no names where they must not be)."""

import asyncio
import re
import threading
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.test import Client
from django.urls import reverse

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import Cluster, Note, Participant, Vote, WallState
from facilitation.tools.wall import rules as wall
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user, screen

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def session(owner):
    """A started session: the first phase (Engage) opens the wall."""
    return make_session(lesson=make_lesson(), owner=owner, started=True)


@pytest.fixture
def ada(session):
    return learner(session, "Ada Lovelace")


@pytest.fixture
def grace(session):
    return learner(session, "Grace Hopper")


def post_note(client, session, text="Shared cost dashboards", colour="blue"):
    url = reverse("facilitation:wall_post_note", args=[session.code])
    return client.post(url, {"text": text, "colour": colour}, headers=HX)


def staff_post(client, session, name, **kwargs):
    return client.post(reverse(f"facilitation:{name}", kwargs={"code": session.code, **kwargs}), headers=HX)


def control_(client, session, action, data=None):
    url = reverse("facilitation:wall_control", args=[session.code, action])
    return client.post(url, data or {}, headers=HX)


def vote(client, session, note, action="add"):
    url = reverse("facilitation:wall_vote", args=[session.code, note.pk])
    return client.post(url, {"action": action}, headers=HX)


def page(client, session, name="learner"):
    return client.get(reverse(f"facilitation:{name}", args=[session.code])).content.decode()


def make_note(session, participant, text="An idea", **kwargs):
    return Note.objects.create(session=session, participant=participant, text=text, **kwargs)


# --- Posting ------------------------------------------------------------------------------------------------


def test_it_posts_a_note_and_pushes_one_render_to_each_audience(
    session, ada, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        response = post_note(client, session, "Shared cost dashboards", "blue")
    assert response.status_code == 201
    assert response["HX-Trigger"] == "wall-posted"
    note = Note.objects.get()
    assert (note.participant, note.text, note.colour, note.group_key) == (
        participant,
        "Shared cost dashboards",
        "blue",
        "",
    )
    groups = [group for group, _ in pushes]
    assert sorted(groups) == sorted([session.group_facilitators, session.group_projector, session.group_all])
    assert broadcast.render_count - renders == 3
    assert all("Shared cost dashboards" in html for _, html in pushes)
    # A new note goes out as an addition to every board (facilitators', learners', the projector's), never as
    # the whole growing wall, and leaves the facilitators' forms (cluster names, the prompt) alone.
    staff_html = dict(pushes)[session.group_facilitators]
    assert re.search(r'<ul id="wall-board-loose" hx-swap-oob="beforeend" data-version="\d+">', staff_html)
    assert 'id="wall-board"' not in staff_html and 'id="wall-clusters"' not in staff_html
    assert 'id="wall-settings"' not in staff_html
    assert (
        "Ada Lovelace" in staff_html
        and '<strong id="wall-board-count" hx-swap-oob="true">1 note' in staff_html
    )
    learner_html = dict(pushes)[session.group_all]
    assert re.search(r'<ul id="learner-wall-loose" hx-swap-oob="beforeend" data-version="\d+">', learner_html)
    assert 'id="learner-wall-board"' not in learner_html and "wall-note-text" not in learner_html
    assert re.search(
        r'<span id="learner-wall-count"\s+data-topic="wall" data-version="\d+" hx-swap-oob="true">1 note</span>',
        learner_html,
    )
    assert "Ada Lovelace" not in learner_html
    assert re.search(
        r'<ul id="projector-wall-loose" hx-swap-oob="beforeend" data-version="\d+">',
        dict(pushes)[session.group_projector],
    )


def test_the_additions_land_in_lists_the_whole_boards_have(session, ada, staff, pushes):
    """Every id an addition targets exists in the page's board, with and without clusters."""
    client, participant = ada
    make_note(session, participant, "first")
    for clusters in (False, True):
        if clusters:
            Cluster.objects.create(session=session, name="Cost")
        pushes.clear()
        second = make_note(session, participant, f"second {clusters}")
        wall.push_new_notes(session.pk, [second.pk])
        added = "".join(html for _, html in pushes)
        targets = set(re.findall(r'<\w+ id="([\w-]+)"[^>]*hx-swap-oob', added))
        pages = page(staff, session, "dashboard") + page(client, session) + page(staff, session, "projector")
        assert targets and all(f'id="{target}"' in pages for target in targets), targets
        assert ("wall-board-loose-count" in targets) == clusters


def test_a_note_posted_while_voting_is_open_reaches_learners_with_its_vote_button(
    session, ada, pushes, django_capture_on_commit_callbacks
):
    client, _ = ada
    wall.open_voting(session, 3)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_note(client, session, "Late idea").status_code == 201
    note = Note.objects.get(text="Late idea")
    learner_html = dict(pushes)[session.group_all]
    assert f'data-vote-button data-note-id="{note.pk}"' in learner_html
    assert reverse("facilitation:wall_vote", args=[session.code, note.pk]) in learner_html
    # The projector shows the note, but nobody votes from the projector.
    assert "Late idea" in dict(pushes)[session.group_projector]
    assert "data-vote-button" not in dict(pushes)[session.group_projector]


def test_a_burst_of_changes_is_pushed_first_at_once_then_merged(settings):
    """Under a server's event loop the first change goes out at once, the changes of the next moments in one
    push at the end of PUSH_INTERVAL, merged; each push runs alone, in order."""
    settings.PUSH_INTERVAL = 0.3
    pushed: list[tuple[float, set]] = []

    def push(payload):
        pushed.append((time.monotonic(), payload))

    def change(n):
        broadcast.coalesce("burst", {n}, set.union, push)

    async def room():
        started = time.monotonic()
        await sync_to_async(change)(1)
        await asyncio.sleep(0.1)
        for n in (2, 3, 4):
            await sync_to_async(change)(n)
        await asyncio.sleep(0.6)
        return started

    started = async_to_sync(room)()
    assert [payload for _, payload in pushed] == [{1}, {2, 3, 4}]
    assert pushed[0][0] - started < 0.3 <= pushed[1][0] - started


def test_a_push_that_takes_longer_than_the_interval_leaves_twice_its_time_before_the_next(settings):
    """A slow push (a big room on a busy server) must not run back to back with the next one: the gap after it
    is twice what it took, so the requests that make the changes keep most of the server's time."""
    settings.PUSH_INTERVAL = 0.05
    pushed: list[tuple[float, float, set]] = []

    def push(payload):
        started = time.monotonic()
        time.sleep(0.3)
        pushed.append((started, time.monotonic(), payload))

    def change(n):
        broadcast.coalesce("slow", {n}, set.union, push)

    async def room():
        await sync_to_async(change)(1)
        for n in (2, 3):
            await sync_to_async(change)(n)
        await asyncio.sleep(1.4)

    async_to_sync(room)()
    assert [payload for _, _, payload in pushed] == [{1}, {2, 3}]
    first_end, second_start = pushed[0][1], pushed[1][0]
    assert second_start - first_end >= 0.55  # 2 x 0.3 s, not the 0.05 s interval


def test_outside_a_server_each_change_is_pushed_as_it_happens(settings):
    settings.PUSH_INTERVAL = 0.3
    pushed = []
    for n in (1, 2):
        broadcast.coalesce("no-loop", {n}, set.union, pushed.append)
    assert pushed == [{1}, {2}]


def test_it_escapes_note_text_everywhere(session, ada, staff, pushes, django_capture_on_commit_callbacks):
    client, _ = ada
    with django_capture_on_commit_callbacks(execute=True):
        post_note(client, session, '<script>alert("x")</script><img src=x onerror=alert(1)>')
    screens = [page(client, session), page(staff, session, "dashboard"), page(staff, session, "projector")]
    for html in screens + [html for _, html in pushes]:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Write something first."), ("x" * 281, "Keep it to 280 characters, please.")],
)
def test_it_refuses_empty_and_too_long_notes_with_a_message(session, ada, text, message):
    client, _ = ada
    response = post_note(client, session, text)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Note.objects.exists()


def test_it_limits_fast_posting_with_a_friendly_message_per_learner(session, ada, grace):
    client, _ = ada
    for i in range(5):
        assert post_note(client, session, f"Idea {i}").status_code == 201
    response = post_note(client, session, "The sixth idea")
    assert response.status_code == 429
    assert "posting fast! Wait a few seconds" in response.content.decode()
    assert "Your text is kept." in response.content.decode()
    assert not Note.objects.filter(text="The sixth idea").exists()
    # The form is not in the response: the textarea on the page keeps what was typed.
    assert "wall-note-text" not in response.content.decode()
    # Another learner is not slowed down by Ada.
    assert post_note(grace[0], session, "Grace's idea").status_code == 201


def test_it_shows_the_wall_to_learners_only_when_the_phase_opens_it_or_the_facilitator_does(
    session, ada, staff, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    assert 'id="learner-wall-board"' in page(client, session)
    session = control.next_phase(session)  # Explore opens the case study, not the wall
    assert 'id="learner-wall-board"' not in page(client, session)
    assert 'id="projector-wall" hidden' in page(staff, session, "projector")
    assert post_note(client, session, "Too late").status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        make_note(session, participant)
        wall.push(session.pk)
    assert [group for group, _ in pushes] == [session.group_facilitators]  # nobody else shows the wall

    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert control_(staff, session, "open").status_code == 200
    sent = dict(pushes)
    assert "wall-note-text" in sent[session.group_all]  # the whole wall, form included, appears
    assert 'id="projector-wall"' in sent[session.group_projector]
    assert 'id="learner-wall-board"' in page(client, session)
    assert post_note(client, session, "Now it works").status_code == 201


def test_the_learners_wall_in_a_resync_or_a_phase_change_is_the_wall_and_my_votes(session, ada):
    body = screen("wall", session, "learner", ada[1])
    assert 'id="learner-wall" class="wall wall-learner" data-swap-errors' in body
    assert 'id="wall-my-votes"' in body and body.count('hx-swap-oob="true"') == 2


# --- Anonymity ----------------------------------------------------------------------------------------------


def test_it_keeps_authors_out_of_learner_and_projector_html_and_pushes(
    session, ada, grace, staff, pushes, django_capture_on_commit_callbacks
):
    client, _ = ada
    with django_capture_on_commit_callbacks(execute=True):
        post_note(client, session, "Anonymous idea")
    html_by_group = dict(pushes)
    assert "Ada Lovelace" in html_by_group[session.group_facilitators]
    for html in (
        html_by_group[session.group_all],
        html_by_group[session.group_projector],
        page(grace[0], session),
        page(staff, session, "projector"),
        screen("wall", session, "learner", grace[1]),
        screen("wall", session, "projector"),
    ):
        assert "Anonymous idea" in html
        assert "Ada Lovelace" not in html


def test_turning_anonymous_mode_off_shows_names_to_everyone(
    session, ada, grace, staff, pushes, django_capture_on_commit_callbacks
):
    make_note(session, ada[1], "Named idea")
    with django_capture_on_commit_callbacks(execute=True):
        assert control_(staff, session, "named").status_code == 200
    session.refresh_from_db()
    assert session.anonymous_wall is False
    assert all("Ada Lovelace" in html for _, html in pushes)
    assert "Ada Lovelace" in page(grace[0], session)
    assert "Ada Lovelace" in page(staff, session, "projector")
    control_(staff, session, "anonymous")
    assert "Ada Lovelace" not in page(grace[0], session)


def test_show_authors_to_me_is_the_facilitators_own_choice(session, owner, staff):
    assert 'id="wall-show-authors" class="wall-toggle" aria-pressed="false"' in page(
        staff, session, "dashboard"
    )
    response = staff.post(
        reverse("facilitation:wall_authors", args=[session.code]), {"show": "1"}, headers=HX
    )
    assert 'aria-pressed="true"' in response.content.decode()
    assert 'id="wall-show-authors" class="wall-toggle" aria-pressed="true"' in page(
        staff, session, "dashboard"
    )
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    other = Client()
    other.force_login(teammate)
    assert 'aria-pressed="false"' in page(other, session, "dashboard")


# --- Voting -------------------------------------------------------------------------------------------------


def test_it_refuses_votes_while_voting_is_closed(session, ada):
    client, participant = ada
    note = make_note(session, participant)
    response = vote(client, session, note)
    assert response.status_code == 409 and "Voting is closed." in response.content.decode()
    assert not Vote.objects.exists()


def test_it_spends_and_takes_back_votes_up_to_n_one_per_note(
    session, ada, staff, pushes, django_capture_on_commit_callbacks
):
    client, participant = ada
    notes = [make_note(session, participant, f"Idea {i}") for i in range(3)]
    assert control_(staff, session, "open-voting", {"votes": "2"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = vote(client, session, notes[0])
    assert response.status_code == 200
    assert f'data-my-votes="{notes[0].pk}"' in response.content.decode()
    # Everyone sees the new count; the pushed board carries no learner's own votes.
    learner_push = dict(pushes)[session.group_all]
    assert "1 vote<" in learner_push and "data-my-votes" not in learner_push

    again = vote(client, session, notes[0])
    assert again.status_code == 409 and "You already voted for this note." in again.content.decode()
    assert vote(client, session, notes[1]).status_code == 200
    full = vote(client, session, notes[2])
    assert full.status_code == 409 and "You have used all 2 of your votes" in full.content.decode()
    assert Vote.objects.filter(participant=participant).count() == 2

    assert vote(client, session, notes[0], "remove").status_code == 200
    assert vote(client, session, notes[2]).status_code == 200
    assert set(Vote.objects.values_list("note_id", flat=True)) == {notes[1].pk, notes[2].pk}


@pytest.mark.parametrize("votes", ["0", "13", "many"])
def test_it_keeps_votes_per_person_between_1_and_12(session, staff, votes):
    response = control_(staff, session, "open-voting", {"votes": votes})
    assert response.status_code == 400
    assert "between 1 and 12 votes" in response.content.decode()
    assert WallState.for_session(session).voting_open is False


def test_a_hidden_note_gives_its_votes_back(session, ada, staff):
    client, participant = ada
    first, second = make_note(session, participant, "First"), make_note(session, participant, "Second")
    control_(staff, session, "open-voting", {"votes": "1"})
    assert vote(client, session, first).status_code == 200
    assert staff_post(staff, session, "wall_note", note_id=first.pk, action="hide").status_code == 200
    assert vote(client, session, second).status_code == 200


def test_closing_voting_keeps_the_counts(session, ada, grace, staff):
    note = make_note(session, ada[1], "Popular")
    control_(staff, session, "open-voting", {"votes": "3"})
    vote(ada[0], session, note)
    vote(grace[0], session, note)
    control_(staff, session, "close-voting")
    body = page(grace[0], session)
    assert "2 votes" in body and "data-vote-button" not in body


def test_it_sorts_the_wall_by_votes_for_everyone_when_asked(session, ada, grace, staff):
    quiet = make_note(session, ada[1], "Quiet idea")
    loud = make_note(session, ada[1], "Loud idea")
    Vote.objects.create(note=loud, participant=ada[1])
    Vote.objects.create(note=loud, participant=grace[1])
    body = page(grace[0], session)
    assert body.index("Quiet idea") < body.index("Loud idea")
    control_(staff, session, "sort-votes")
    for html in (
        page(grace[0], session),
        page(staff, session, "projector"),
        page(staff, session, "dashboard"),
    ):
        assert html.index("Loud idea") < html.index("Quiet idea")
    assert quiet.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_note", [True, False])
def test_concurrent_votes_never_pass_the_limit_nor_double_up(same_note, monkeypatch):
    """Two requests of one learner at the same moment, on the file SQLite database: exactly one vote counts."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file database shared by threads")
    monkeypatch.setattr(broadcast, "send", lambda group, html: None)
    session = make_session(lesson=make_lesson(), owner=make_user(), started=True)
    participant = make_participant(session=session)
    notes = [make_note(session, participant, "A"), make_note(session, participant, "B")]
    wall.open_voting(session, 1)
    targets = [notes[0], notes[0]] if same_note else notes
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []

    def attempt(note):
        from django.db import connections

        try:
            barrier.wait()
            wall.vote(Participant.objects.get(pk=participant.pk), note.pk, add=True)
            outcomes.append("ok")
        except wall.WallError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(note,)) for note in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert Vote.objects.filter(participant=participant).count() == 1


# --- Clusters -----------------------------------------------------------------------------------------------


def test_it_creates_renames_and_merges_clusters_and_moves_notes(
    session, ada, grace, staff, pushes, django_capture_on_commit_callbacks
):
    a, b, loose = (make_note(session, ada[1], text) for text in ("Cost idea", "Budget idea", "Loose idea"))
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("facilitation:wall_create_cluster", args=[session.code]), {"name": "Costs"})
    assert 'id="wall-clusters"' in dict(pushes)[session.group_facilitators]
    staff.post(reverse("facilitation:wall_create_cluster", args=[session.code]), {"name": "  Money   talk "})
    costs, money = Cluster.objects.order_by("pk")
    assert money.name == "Money talk"

    move = reverse("facilitation:wall_note", args=[session.code, a.pk, "move"])
    assert staff.post(move, {"cluster": costs.pk}, headers=HX).status_code == 200
    move_b = reverse("facilitation:wall_note", args=[session.code, b.pk, "move"])
    staff.post(move_b, {"cluster": money.pk}, headers=HX)
    rename = reverse("facilitation:wall_cluster", args=[session.code, costs.pk, "rename"])
    staff.post(rename, {"name": "Cost visibility"}, headers=HX)

    body = page(grace[0], session)
    assert body.index("Cost visibility") < body.index("Cost idea") < body.index("Money talk")
    assert (
        body.index("Money talk")
        < body.index("Budget idea")
        < body.index("Other ideas")
        < body.index("Loose idea")
    )

    merge = reverse("facilitation:wall_cluster", args=[session.code, money.pk, "merge"])
    assert staff.post(merge, {"cluster": costs.pk}, headers=HX).status_code == 200
    assert list(Cluster.objects.values_list("name", flat=True)) == ["Cost visibility"]
    assert set(Note.objects.filter(cluster=costs).values_list("text", flat=True)) == {
        "Cost idea",
        "Budget idea",
    }
    back = staff.post(move, {"cluster": ""}, headers=HX)
    assert back.status_code == 200 and Note.objects.get(pk=a.pk).cluster is None
    assert loose.cluster is None


def test_it_refuses_clusters_of_another_session_and_bad_names(session, ada, staff, owner):
    note = make_note(session, ada[1])
    elsewhere = Cluster.objects.create(
        session=make_session(lesson=session.lesson, owner=owner), name="Theirs"
    )
    move = reverse("facilitation:wall_note", args=[session.code, note.pk, "move"])
    assert staff.post(move, {"cluster": elsewhere.pk}, headers=HX).status_code == 400
    assert Note.objects.get(pk=note.pk).cluster is None
    merge = reverse("facilitation:wall_cluster", args=[session.code, elsewhere.pk, "merge"])
    assert staff.post(merge, {"cluster": elsewhere.pk}, headers=HX).status_code == 404
    response = staff.post(reverse("facilitation:wall_create_cluster", args=[session.code]), {"name": "  "})
    assert response.status_code == 400 and "Give the cluster a name." in response.content.decode()
    own = Cluster.objects.create(session=session, name="Mine")
    into_itself = reverse("facilitation:wall_cluster", args=[session.code, own.pk, "merge"])
    assert staff.post(into_itself, {"cluster": own.pk}, headers=HX).status_code == 400
    assert Cluster.objects.filter(pk=own.pk).exists()


# --- Moderation and prompt ----------------------------------------------------------------------------------


def test_a_hidden_note_disappears_from_every_screen_at_once_and_comes_back(
    session, ada, grace, staff, pushes, django_capture_on_commit_callbacks
):
    note = make_note(session, ada[1], "Off-topic rant")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_post(staff, session, "wall_note", note_id=note.pk, action="hide")
    assert response.status_code == 200
    sent = dict(pushes)
    assert "Off-topic rant" not in sent[session.group_all]
    assert "Off-topic rant" not in sent[session.group_projector]
    assert "Hidden notes (1)" in sent[session.group_facilitators]
    assert "Off-topic rant" not in page(grace[0], session)
    assert "Off-topic rant" not in page(staff, session, "projector")

    staff_post(staff, session, "wall_note", note_id=note.pk, action="restore")
    assert "Off-topic rant" in page(grace[0], session)


def test_the_prompt_defaults_to_the_phase_activities_and_can_be_set(session, ada, staff, pushes):
    assert "Engage: learner activities." in page(ada[0], session)
    response = control_(staff, session, "prompt", {"prompt": "What blocks <DataOps> & MLOps?"})
    assert response.status_code == 200
    for html in (page(ada[0], session), page(staff, session, "projector")):
        assert "What blocks &lt;DataOps&gt; &amp; MLOps?" in html
    control_(staff, session, "prompt", {"prompt": ""})
    assert "Engage: learner activities." in page(staff, session, "projector")


# --- Who may do what ----------------------------------------------------------------------------------------


FACILITATOR_POSTS = [
    ("wall_control", {"action": "open"}),
    ("wall_control", {"action": "named"}),
    ("wall_control", {"action": "prompt"}),
    ("wall_create_cluster", {}),
    ("wall_note", {"action": "hide", "note_id": 0}),
    ("wall_note", {"action": "move", "note_id": 0}),
    ("wall_cluster", {"action": "rename", "cluster_id": 0}),
    ("wall_authors", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), FACILITATOR_POSTS)
def test_only_the_sessions_facilitators_moderate_and_cluster(session, ada, name, kwargs):
    note = make_note(session, ada[1], "Keep me")
    cluster = Cluster.objects.create(session=session, name="Old name")
    kwargs = {**kwargs, **({"note_id": note.pk} if "note_id" in kwargs else {})}
    kwargs = {**kwargs, **({"cluster_id": cluster.pk} if "cluster_id" in kwargs else {})}
    url = reverse(f"facilitation:{name}", kwargs={"code": session.code, **kwargs})
    data = {"name": "Hijacked", "prompt": "Hijacked", "cluster": ""}

    learner_response = ada[0].post(url, data, headers=HX)
    assert learner_response.status_code == 302 and "/accounts/login/" in learner_response["Location"]
    outsider = Client()
    outsider.force_login(make_user(username="outsider"))
    assert outsider.post(url, data, headers=HX).status_code == 404

    session.refresh_from_db()
    assert session.anonymous_wall is True
    assert Note.objects.get(pk=note.pk).hidden is False
    assert Cluster.objects.get(pk=cluster.pk).name == "Old name"
    assert not Cluster.objects.filter(name="Hijacked").exists()
    assert WallState.for_session(session).prompt == "" and WallState.for_session(session).opened is False


def test_learners_of_another_session_and_strangers_cannot_post_or_vote(session, owner, ada):
    note = make_note(session, ada[1])
    other_session = make_session(lesson=session.lesson, owner=owner, started=True)
    outsider, _ = learner(other_session, "Mallory")
    for client in (outsider, Client()):
        assert post_note(client, session, "Sneaky").status_code == 404
        assert vote(client, session, note).status_code == 404
    assert not Note.objects.filter(text="Sneaky").exists()


def test_a_learner_cannot_vote_on_a_note_of_another_session(session, owner, ada, staff):
    other_session = make_session(lesson=session.lesson, owner=owner, started=True)
    foreign = make_note(other_session, make_participant(session=other_session, name="Eve"))
    control_(staff, session, "open-voting", {"votes": "3"})
    response = vote(ada[0], session, foreign)
    assert response.status_code == 409 and "no longer on the wall" in response.content.decode()
    assert not Vote.objects.exists()


# --- Queries ------------------------------------------------------------------------------------------------


def _grow(session, count: int, voters: list[Participant]) -> None:
    cluster = Cluster.objects.create(session=session, name=f"Cluster {count}")
    for i in range(count):
        note = make_note(session, voters[i % len(voters)], f"Note {i}", cluster=cluster if i % 2 else None)
        for voter in voters[: 1 + i % len(voters)]:
            Vote.objects.create(note=note, participant=voter)


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("learner", "learner"),
        ("staff", "dashboard"),
        ("staff", "projector"),
        # What a resync or a phase change sends each screen.
        ("resync", "learner"),
        ("resync", "dashboard"),
        ("resync", "projector"),
    ],
)
def test_wall_screens_make_the_same_number_of_queries_for_any_number_of_notes(
    session, ada, staff, who, url_name, django_assert_max_num_queries
):
    client = ada[0] if who == "learner" else staff

    def render() -> str:
        if who == "resync":
            return screen("wall", session, url_name, ada[1])
        response = client.get(reverse(f"facilitation:{url_name}", args=[session.code]))
        assert response.status_code == 200
        return response.content.decode()

    voters = [ada[1], *(make_participant(session=session, name=f"V{i}") for i in range(2))]
    _grow(session, 2, voters)
    with django_assert_max_num_queries(120) as small:
        render()
    voters += [make_participant(session=session, name=f"W{i}") for i in range(10)]
    _grow(session, 30, voters)
    with django_assert_max_num_queries(120) as large:
        body = render()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "Note 29" in body


def test_a_push_makes_the_same_number_of_queries_for_any_number_of_notes(
    session, ada, pushes, django_assert_max_num_queries
):
    _grow(session, 2, [ada[1]])
    with django_assert_max_num_queries(30) as small:
        wall.push(session.pk)
    _grow(session, 40, [ada[1], make_participant(session=session, name="Bo")])
    with django_assert_max_num_queries(30) as large:
        wall.push(session.pk)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_new_notes_are_pushed_in_the_same_number_of_queries_and_bytes_for_any_wall(
    session, ada, pushes, django_assert_max_num_queries
):
    """An addition carries the new notes only: its cost does not grow with the wall it is added to."""
    sizes = []
    for count in (2, 60):
        _grow(session, count, [ada[1], make_participant(session=session, name=f"Bo{count}")])
        new = make_note(session, ada[1], "The newest idea")
        pushes.clear()
        with django_assert_max_num_queries(15) as queries:
            wall.push_new_notes(session.pk, [new.pk])
        sizes.append((len(queries.captured_queries), sum(len(html) for _, html in pushes)))
        assert all("The newest idea" in html for _, html in pushes) and len(pushes) == 3
    (small_queries, small_bytes), (large_queries, large_bytes) = sizes
    assert large_queries == small_queries
    # 58 more notes would add kilobytes; only counts, ids and the clusters' menu (one more cluster) may grow.
    assert large_bytes < small_bytes + 200


def test_the_board_names_authors_as_each_audience_may_see_them(session):
    """Facilitators see who wrote each note (two people called Sam apart, and a note whose author left); the
    room sees names only when the wall is not anonymous, and never a hidden note."""
    sam = make_participant(session=session, name="Sam")
    other_sam = make_participant(session=session, name="Sam")
    gone = make_participant(session=session, name="Gone")
    Note.objects.create(session=session, participant=sam, text="First")
    Note.objects.create(session=session, participant=other_sam, text="Second")
    Note.objects.create(session=session, participant=gone, text="Third")
    Note.objects.create(session=session, participant=sam, text="Hidden", hidden=True)
    Vote.objects.create(note=Note.objects.get(text="First"), participant=gone)
    gone.delete()

    def authors(board):
        return {n.text: (n.author, n.votes) for section in board.sections for n in section.notes} | {
            n.text: (n.author, "hidden") for n in board.hidden_notes
        }

    staff = authors(wall.board(session, for_facilitators=True))
    assert staff == {
        "First": ("Sam", 0),  # the vote went with the learner who left
        "Second": ("Sam (2)", 0),
        "Third": (wall.LEFT, 0),
        "Hidden": ("Sam", "hidden"),
    }
    session.anonymous_wall = True
    assert authors(wall.board(session, for_facilitators=False)) == {
        "First": ("", 0),
        "Second": ("", 0),
        "Third": ("", 0),
    }
    session.anonymous_wall = False
    assert authors(wall.board(session, for_facilitators=False))["Second"] == ("Sam (2)", 0)
    assert "Hidden" not in authors(wall.board(session, for_facilitators=False))
