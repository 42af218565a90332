"""The obstacle assessment worksheet: where learners see it, support by level, autosave with versions and
conflicts, bad input, who may read and change what, the room's heatmap and its views, the projector, pushes
(one render per audience) and constant query counts."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from facilitation import control
from facilitation.live import broadcast
from facilitation.models import Participant, WorksheetAnswer, WorksheetState
from facilitation.tools.worksheets import rules as worksheets
from lessons.models import Audience, ObstacleCategory, WorksheetItem
from tests.factories import joined_client as learner
from tests.factories import make_lesson, make_participant, make_session, make_user, signed_in_client

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def lesson():
    lesson = make_lesson()
    silos = ObstacleCategory.objects.get(lesson=lesson, slug="silos")
    WorksheetItem.objects.filter(category=silos).update(
        example="A renamed column broke the churn model.", deeper_prompt="Map your last three incidents."
    )
    WorksheetItem.objects.create(category=silos, order=1, prompt="Nobody owns a use case end to end.")
    return lesson


@pytest.fixture
def session(lesson, owner):
    """A started session in Explore, the phase that opens the case study and the worksheet."""
    session = make_session(lesson=lesson, owner=owner, started=True)
    return control.next_phase(session)


@pytest.fixture
def ada(session):
    return learner(session, "Ada Lovelace")


@pytest.fixture
def grace(session):
    return learner(session, "Grace Hopper", "experienced", "finance")


def items(lesson) -> list[WorksheetItem]:
    return list(WorksheetItem.objects.filter(category__lesson=lesson).order_by("category__order", "order"))


def save(client, session, item, *, version=0, severity="3", na=False, comment="", **extra):
    data = {"severity": severity, "comment": comment, "version": version, **extra}
    if na:
        data["not_applicable"] = "on"
    url = reverse("facilitation:worksheet_save", args=[session.code, item.pk])
    return client.post(url, data, headers=HX)


def page(client, session, name="learner") -> str:
    return client.get(reverse(f"facilitation:{name}", args=[session.code])).content.decode()


def answer_of(participant, item) -> WorksheetAnswer:
    return WorksheetAnswer.objects.get(participant=participant, item=item)


# --- Where learners see it ----------------------------------------------------------------------------------


def test_it_is_on_the_learner_page_while_the_phase_opens_the_case_study_and_linked_after(
    lesson, owner, session
):
    engage = make_session(lesson=lesson, owner=owner, started=True)
    client, _ = learner(engage, "Early")
    assert 'id="learner-worksheet" hidden' in page(client, engage)

    client, _ = learner(session, "Ada")
    body = page(client, session)
    assert body.count("data-ws-item") == 3
    assert "0 of 3 answered" in body
    assert reverse("facilitation:worksheet_page", args=[session.code]) in body

    control.next_phase(session)  # Explain: the worksheet leaves the page, a link to finish it stays
    body = page(client, session)
    assert "data-ws-item" not in body
    assert "Finish your worksheet" in body and "0 of 3 answered" in body
    standalone = page(client, session, "worksheet_page")
    assert standalone.count("data-ws-item") == 3


def test_the_region_refetch_keeps_a_worksheet_being_filled_in(session, ada):
    """A reconnect while the worksheet is shown must not replace the inputs the learner is typing in."""
    client, _ = ada
    url = reverse("facilitation:worksheet_learner", args=[session.code])
    assert client.get(url, {"shown": "1"}).status_code == 204
    body = client.get(url, {"shown": "0"}).content.decode()
    assert 'id="learner-worksheet"' in body and 'hx-swap-oob="true"' in body and "data-ws-item" in body
    control.next_phase(session)
    body = client.get(url, {"shown": "1"}).content.decode()
    assert "Finish your worksheet" in body and "data-ws-item" not in body


def test_novices_get_explanations_and_examples_and_experienced_learners_deeper_prompts(session, ada, grace):
    novice = page(ada[0], session)
    assert "Teams optimise locally." in novice and "A renamed column broke the churn model." in novice
    assert "Map your last three incidents." not in novice
    experienced = page(grace[0], session)
    assert "Map your last three incidents." in experienced
    assert "A renamed column broke the churn model." not in experienced
    assert "What this category means" in experienced  # the explanation is folded away, not gone


def test_the_first_audience_of_any_lesson_gets_novice_support(owner):
    lesson = make_lesson(title="Other", slug="other")
    Audience.objects.filter(lesson=lesson).delete()
    Audience.objects.create(lesson=lesson, order=0, key="beginner", name="Beginners", strategy="Support")
    Audience.objects.create(lesson=lesson, order=1, key="expert", name="Experts", strategy="Stretch")
    session = make_session(lesson=lesson, owner=owner, started=True)
    assert worksheets.is_guided(session, "beginner")
    assert not worksheets.is_guided(session, "expert")
    Audience.objects.filter(lesson=lesson).delete()
    assert worksheets.is_guided(session, "general")  # no audiences: everyone gets the support


# --- Saving -------------------------------------------------------------------------------------------------


def test_it_saves_an_answer_and_answers_with_saved_the_new_version_and_progress(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    response = save(client, session, item, severity="4", comment="Weekly surprises")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="ws-status-{item.pk}" class="ws-status saved"' in body and "Saved" in body
    assert f'id="ws-version-{item.pk}" name="version" value="1"' in body
    assert 'id="ws-progress"' in body and "1 of 3 answered" in body
    assert "<textarea" not in body  # the inputs are never sent back: what is typed meanwhile stays
    answer = answer_of(participant, item)
    assert (answer.severity, answer.applies, answer.comment, answer.version) == (
        4,
        True,
        "Weekly surprises",
        1,
    )

    save(client, session, item, version=1, severity="4", na=True, comment="Weekly surprises")
    answer.refresh_from_db()
    assert (answer.applies, answer.severity, answer.version) == (False, 4, 2)  # the severity is kept
    body = page(client, session)
    assert "1 of 3 answered" in body and 'value="on" checked' in body


def test_a_comment_alone_is_kept_but_does_not_count_as_answered(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    body = save(client, session, item, severity="", comment="Thinking…").content.decode()
    assert "0 of 3 answered" in body
    assert answer_of(participant, item).comment == "Thinking…"


def test_a_save_pushes_one_render_to_the_facilitators_and_nothing_to_learners(
    session, ada, pushes, django_capture_on_commit_callbacks
):
    client, _ = ada
    renders = broadcast.render_count
    with django_capture_on_commit_callbacks(execute=True):
        save(client, session, items(session.lesson)[0], severity="5")
    assert [group for group, _ in pushes] == [session.group_facilitators]
    assert broadcast.render_count - renders == 1
    html = pushes[0][1]
    assert 'id="ws-board"' in html and 'hx-swap-oob="true"' in html and "Ada Lovelace" in html
    assert 'id="ws-projector-toggle"' not in html  # a save does not reset the facilitators' controls

    pushes.clear()
    WorksheetState.update_for(session, on_projector=True)
    with django_capture_on_commit_callbacks(execute=True):
        save(client, session, items(session.lesson)[1], severity="2")
    assert sorted(group for group, _ in pushes) == sorted(
        [session.group_facilitators, session.group_projector]
    )
    projector_html = dict(pushes)[session.group_projector]
    assert 'id="projector-worksheet"' in projector_html and "Ada" not in projector_html


def test_saving_what_is_stored_again_is_a_no_op(session, ada, pushes, django_capture_on_commit_callbacks):
    client, participant = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="3", comment="Same")
    with django_capture_on_commit_callbacks(execute=True):
        response = save(client, session, item, version=1, severity="3", comment="Same")
    assert response.status_code == 200 and "Saved" in response.content.decode()
    assert answer_of(participant, item).version == 1
    assert pushes == []


def test_a_line_break_counts_as_one_character(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    comment = ("a" * 9 + "\r\n") * 100  # 1000 characters in the browser, 1100 on the wire
    assert save(client, session, item, comment=comment).status_code == 200
    assert len(answer_of(participant, item).comment) == 999  # the last line break is trimmed


# --- Conflicts ----------------------------------------------------------------------------------------------


def test_a_save_from_a_stale_page_gets_a_conflict_and_overwrites_nothing(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="4", comment="From the laptop <b>tab</b>")  # tab A: version 1
    response = save(client, session, item, version=0, severity="2", comment="From the phone")  # tab B
    assert response.status_code == 409
    body = response.content.decode()
    assert "Changed in another tab or device" in body and "Nothing was overwritten" in body
    assert "From the laptop &lt;b&gt;tab&lt;/b&gt;" in body and "<b>tab</b>" not in body
    assert "From the phone" in body and "4 · Serious" in body and "2 · Minor" in body
    assert "Keep mine" in body and "Use the newer one" in body
    assert '"force_version": "1"' in body
    assert "ws-version" not in body  # the page keeps its old version: the next autosave conflicts again
    answer = answer_of(participant, item)
    assert (answer.severity, answer.comment, answer.version) == (4, "From the laptop <b>tab</b>", 1)


def test_keep_mine_replaces_the_newer_answer_it_was_shown_and_only_that_one(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="4", comment="Tab A")
    response = save(client, session, item, version=0, severity="2", comment="Tab B", force_version="1")
    assert response.status_code == 200
    answer = answer_of(participant, item)
    assert (answer.severity, answer.comment, answer.version) == (2, "Tab B", 2)
    # Keep mine over version 1, when meanwhile version 2 was saved elsewhere: a conflict again.
    response = save(client, session, item, version=0, severity="5", comment="Tab C", force_version="1")
    assert response.status_code == 409
    assert answer_of(participant, item).comment == "Tab B"


def test_use_the_newer_one_shows_the_stored_answer_with_its_version(session, ada):
    client, _ = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="4", comment="Stored text")
    body = client.get(reverse("facilitation:worksheet_item", args=[session.code, item.pk])).content.decode()
    assert f'id="ws-item-{item.pk}"' in body and "Stored text</textarea>" in body
    assert 'value="4" checked' in body and 'name="version" value="1"' in body
    assert "Showing the saved answer" in body


@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_at_the_same_moment_never_overwrite_each_other(monkeypatch):
    """Two saves from the same version at once, on the file SQLite database: one wins, one gets the conflict."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs a file database shared by threads")
    monkeypatch.setattr(broadcast, "send", lambda group, html: None)
    session = control.next_phase(make_session(lesson=make_lesson(), owner=make_user(), started=True))
    participant = make_participant(session=session)
    item = items(session.lesson)[0]
    worksheets.save_answer(participant, item.pk, severity=3, applies=True, comment="", base_version=0)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(comment: str):
        from django.db import connections

        try:
            barrier.wait()
            me = Participant.objects.select_related("session").get(pk=participant.pk)
            worksheets.save_answer(me, item.pk, severity=3, applies=True, comment=comment, base_version=1)
            outcomes.append("saved")
        except worksheets.Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(text,)) for text in ("tab A", "tab B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    answer = answer_of(participant, item)
    assert answer.version == 2 and answer.comment in {"tab A", "tab B"}


# --- Bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"severity": "0"}, "Choose a severity from 1 (not an issue) to 5 (critical)."),
        ({"severity": "6"}, "Choose a severity from 1 (not an issue) to 5 (critical)."),
        ({"severity": "severe"}, "Choose a severity from 1 (not an issue) to 5 (critical)."),
        ({"comment": "x" * 1001}, "Keep your comment to 1000 characters (it has 1001)."),
        ({"comment": "bell\x07"}, "Please remove the control characters from your comment."),
        ({"version": ""}, "This page is out of date: reload it to keep working."),
        ({"version": "-1"}, "This page is out of date: reload it to keep working."),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_is_saved(session, ada, data, message):
    client, participant = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="4", comment="Keep me")
    response = save(client, session, item, **{"version": 1, "severity": "2", **data})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'class="ws-status error"' in body
    answer = answer_of(participant, item)
    assert (answer.severity, answer.comment, answer.version) == (4, "Keep me", 1)


def test_unknown_items_and_items_of_another_lesson_are_refused(session, ada, owner):
    client, _ = ada
    other = make_lesson(title="Another lesson", slug="another")
    foreign = items(other)[0]
    response = save(client, session, foreign)
    assert response.status_code == 404
    assert "This question is not on this session&#x27;s worksheet" in response.content.decode()
    url = reverse("facilitation:worksheet_save", args=[session.code, 999999])
    assert client.post(url, {"severity": "3", "version": "0"}, headers=HX).status_code == 404
    assert (
        client.get(reverse("facilitation:worksheet_item", args=[session.code, foreign.pk])).status_code == 404
    )
    assert not WorksheetAnswer.objects.exists()


def test_an_ended_session_keeps_the_worksheet_as_it_was(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    save(client, session, item, severity="4")
    control.end(session)
    response = save(client, session, item, version=1, severity="1")
    assert response.status_code == 403 and "This session has ended" in response.content.decode()
    assert answer_of(participant, item).severity == 4
    assert "can no longer be changed" in page(client, session, "worksheet_page")


def test_without_htmx_a_save_redirects_back_to_the_item_with_a_message(session, ada):
    client, participant = ada
    item = items(session.lesson)[0]
    url = reverse("facilitation:worksheet_save", args=[session.code, item.pk])
    response = client.post(url, {"severity": "3", "version": "0"})
    assert response.status_code == 302 and response["Location"].endswith(f"/worksheet/#ws-item-{item.pk}")
    assert answer_of(participant, item).severity == 3
    response = client.post(url, {"severity": "9", "version": "1"}, follow=True)
    assert "Choose a severity from 1" in response.content.decode()


# --- Access -------------------------------------------------------------------------------------------------


def test_a_learner_changes_only_their_own_worksheet(session, ada, grace):
    item = items(session.lesson)[0]
    save(ada[0], session, item, severity="5", comment="Ada's")
    save(grace[0], session, item, severity="1", comment="Grace's")
    assert answer_of(ada[1], item).comment == "Ada's" and answer_of(grace[1], item).comment == "Grace's"
    assert "Grace&#x27;s" not in page(ada[0], session, "worksheet_page")
    assert "Ada&#x27;s" in page(ada[0], session, "worksheet_page")


def test_learners_of_another_session_and_strangers_are_refused(session, owner, ada):
    item = items(session.lesson)[0]
    save(ada[0], session, item, severity="4", comment="Private")
    other_session = make_session(lesson=session.lesson, owner=owner, started=True)
    outsider, _ = learner(other_session, "Mallory")
    for client in (outsider, Client()):
        assert save(client, session, item, version=1, severity="1").status_code == 404
        assert (
            client.get(reverse("facilitation:worksheet_item", args=[session.code, item.pk])).status_code
            == 404
        )
        assert client.get(reverse("facilitation:worksheet_learner", args=[session.code])).status_code == 404
        response = client.get(reverse("facilitation:worksheet_page", args=[session.code]))
        assert response.status_code == 302 and "/join/" in response["Location"]
    assert answer_of(ada[1], item).severity == 4


FACILITATOR_VIEWS = [
    ("get", "worksheet_panel", {}),
    ("get", "worksheet_projector", {}),
    ("post", "worksheet_projector_toggle", {"action": "show"}),
]


@pytest.mark.parametrize(("method", "name", "kwargs"), FACILITATOR_VIEWS)
def test_only_the_sessions_facilitators_see_and_control_the_heatmap(
    session, owner, ada, method, name, kwargs
):
    url = reverse(f"facilitation:{name}", kwargs={"code": session.code, **kwargs})
    cofacilitator = make_user(username="teammate")
    session.cofacilitators.add(cofacilitator)
    outsider = make_user(username="outsider")
    assert getattr(signed_in_client(owner), method)(url, headers=HX).status_code == 200
    assert getattr(signed_in_client(cofacilitator), method)(url, headers=HX).status_code == 200
    assert getattr(signed_in_client(outsider), method)(url, headers=HX).status_code == 404
    response = getattr(ada[0], method)(url, headers=HX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_outsider_cannot_put_the_heatmap_on_the_projector(session):
    url = reverse("facilitation:worksheet_projector_toggle", args=[session.code, "show"])
    signed_in_client(make_user(username="outsider")).post(url, headers=HX)
    assert WorksheetState.for_session(session).on_projector is False


# --- The room's heatmap -------------------------------------------------------------------------------------


def test_the_heatmap_counts_severities_per_category_with_means_and_not_applicable(session, staff, ada, grace):
    first, second, cost = items(session.lesson)
    save(ada[0], session, first, severity="4")
    save(ada[0], session, second, severity="2")
    save(grace[0], session, first, severity="4")
    save(grace[0], session, cost, na=True)
    body = staff.get(reverse("facilitation:worksheet_panel", args=[session.code])).content.decode()
    assert "2 respondents" in body and "2 of 2 learners started" in body
    assert '<th scope="row">Organizational silos</th>' in body
    # Silos: two 4s and one 2 → 4 at 67 %, 2 at 33 %, mean 3.3; cost visibility: one "doesn't apply".
    silos_row = body.split('<th scope="row">Organizational silos</th>')[1].split("</tr>")[0]
    assert (
        '<td class="heat heat-2"><span class="ws-count">1</span><span class="ws-pct">33%</span></td>'
        in silos_row
    )
    assert (
        '<td class="heat heat-4"><span class="ws-count">2</span><span class="ws-pct">67%</span></td>'
        in silos_row
    )
    assert "<strong>3.3</strong>" in silos_row
    cost_row = body.split('<th scope="row">Cost visibility</th>')[1].split("</tr>")[0]
    assert '<td class="ws-na-count">1</td>' in cost_row and "no ratings" in cost_row
    # By role and by level: a mean per category and group, with the number of ratings.
    role_table = body.split('class="ws-view" data-view="role"')[1].split("</table>")[0]
    assert (
        "Data" in role_table
        and "Finance" in role_table
        and '<strong>3.0</strong> <span class="ws-n">(2)' in role_table
    )
    level_table = body.split('class="ws-view" data-view="level"')[1].split("</table>")[0]
    assert "Novice AI professionals" in level_table and "Experienced AI leaders" in level_table
    # Completion per learner.
    assert (
        '<li class="started"><span class="ws-person">Ada Lovelace</span><span class="ws-person-count">2/3</span>'
        '<span class="ws-person-bar" aria-hidden="true"><span style="width: 67%"></span></span></li>'
    ) in body
    assert '<span class="ws-person">Grace Hopper</span>' in body


def test_each_facilitator_picks_their_own_view_of_the_heatmap(session, owner):
    url = reverse("facilitation:worksheet_panel", args=[session.code])
    staff = signed_in_client(owner)
    switch = (
        'id="ws-view-switch" class="ws-view-switch" role="group" aria-label="Heatmap view" data-view="{}"'
    )
    # Choosing a view only remembers it (the page switched already): nothing comes back to swap in.
    answer = staff.get(url, {"view": "role"})
    assert answer.status_code == 204 and answer.content == b""
    dashboard = page(staff, session, "dashboard")  # the dashboard opens on the remembered view
    assert switch.format("role") in dashboard
    assert dashboard.split('id="ws-view-switch"')[1].split("</div>")[0].count('aria-pressed="true"') == 1
    # A resync leaves the switch alone: after the page has loaded, the view is the page's.
    assert 'id="ws-view-switch"' not in staff.get(url).content.decode()
    other = make_user(username="teammate")
    session.cofacilitators.add(other)
    assert switch.format("room") in page(signed_in_client(other), session, "dashboard")
    assert staff.get(url, {"view": "bogus"}).status_code == 204
    assert switch.format("room") in page(staff, session, "dashboard")


def test_the_projector_shows_the_heatmap_only_when_a_facilitator_puts_it_there(
    session, staff, ada, pushes, django_capture_on_commit_callbacks
):
    save(ada[0], session, items(session.lesson)[0], severity="3")
    assert 'id="projector-worksheet" hidden' in page(staff, session, "projector")
    url = reverse("facilitation:worksheet_projector_toggle", args=[session.code, "show"])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, headers=HX)
    assert "Hide from projector" in response.content.decode()
    sent = dict(pushes)
    assert 'class="ws ws-projector"' in sent[session.group_projector]
    assert "Hide from projector" in sent[session.group_facilitators]
    projector = page(staff, session, "projector")
    assert "How severe are these obstacles where we work?" in projector and "Ada" not in projector
    assert '<th scope="row">Organizational silos</th>' in projector

    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("facilitation:worksheet_projector_toggle", args=[session.code, "hide"]), headers=HX
        )
    assert 'id="projector-worksheet" hidden' in dict(pushes)[session.group_projector]


def test_it_escapes_names_and_comments_on_every_screen(session, owner, staff):
    client, _ = learner(session, "<b>Bold</b>")
    save(client, session, items(session.lesson)[0], comment="<script>alert(1)</script>")
    for html in (
        page(client, session),
        page(client, session, "worksheet_page"),
        page(staff, session, "dashboard"),
    ):
        assert "<script>alert(1)" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page(client, session, "worksheet_page")
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page(staff, session, "dashboard")


# --- Queries ------------------------------------------------------------------------------------------------


def _grow(session, count: int) -> list[Participant]:
    learners = [
        make_participant(session=session, name=f"L{i}-{count}", experience=("novice", "experienced")[i % 2])
        for i in range(count)
    ]
    for participant in learners:
        for n, item in enumerate(items(session.lesson)):
            worksheets.save_answer(
                participant, item.pk, severity=1 + n % 5, applies=n != 2, comment="c", base_version=0
            )
    return learners


@pytest.mark.parametrize(
    ("who", "url_name"),
    [
        ("learner", "learner"),
        ("learner", "worksheet_page"),
        ("learner", "worksheet_learner"),
        ("staff", "worksheet_panel"),
        ("staff", "worksheet_projector"),
        ("staff", "dashboard"),
        ("staff", "projector"),
    ],
)
def test_worksheet_views_make_the_same_number_of_queries_for_any_number_of_learners(
    session, ada, staff, who, url_name, pushes, django_assert_max_num_queries
):
    client = ada[0] if who == "learner" else staff
    url = reverse(f"facilitation:{url_name}", args=[session.code])
    WorksheetState.update_for(session, on_projector=True)
    _grow(session, 2)
    with django_assert_max_num_queries(60) as small:
        assert client.get(url).status_code == 200
    _grow(session, 12)
    for item in items(session.lesson):
        save(ada[0], session, item, severity="2")
    with django_assert_max_num_queries(60) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_save_and_a_push_make_the_same_number_of_queries_for_any_number_of_learners(
    session, ada, pushes, django_assert_max_num_queries
):
    WorksheetState.update_for(session, on_projector=True)
    first, second, _ = items(session.lesson)
    _grow(session, 2)
    with django_assert_max_num_queries(30) as small_save:
        save(ada[0], session, first, severity="2")
    with django_assert_max_num_queries(30) as small_push:
        worksheets.push(session.pk)
    _grow(session, 15)
    with django_assert_max_num_queries(30) as large_save:
        save(ada[0], session, second, severity="2")
    with django_assert_max_num_queries(30) as large_push:
        worksheets.push(session.pk)
    assert len(large_save.captured_queries) == len(small_save.captured_queries)
    assert len(large_push.captured_queries) == len(small_push.captured_queries)
