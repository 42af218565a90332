import pytest
from django.urls import reverse

from facilitation import control
from facilitation.joining import SESSION_KEY
from facilitation.live import broadcast, screens
from facilitation.live import resync as live_resync
from facilitation.models import LiveSession, Participant
from tests.factories import make_lesson, make_participant, make_session, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    return make_lesson()


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(lesson, owner):
    return make_session(lesson=lesson, owner=owner)


def join(client, code, **overrides):
    data = {"name": "Ada", "experience": "novice", "role": "data", "acknowledge": "on", **overrides}
    return client.post(reverse("facilitation:join_code", args=[code]), data)


# --- Facilitator: creating and owning sessions --------------------------------------------------------------


def test_it_creates_a_session_with_a_code_and_the_lesson_phases(client, lesson, owner):
    client.force_login(owner)
    response = client.post(reverse("facilitation:sessions"), {"lesson": lesson.pk, "title": "Cohort 3"})
    session = LiveSession.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/facilitate/{session.code}/"
    assert len(session.code) == 6 and not set(session.code) & set("01OIL")
    assert list(session.phases.values_list("planned_seconds", flat=True)) == [1800, 2700, 2700, 2700, 900]
    assert session.display_title == "Cohort 3"


def test_it_rejects_a_session_without_a_lesson(client, owner):
    client.force_login(owner)
    response = client.post(reverse("facilitation:sessions"), {"lesson": "999", "title": ""})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not LiveSession.objects.exists()


def test_it_lists_only_my_sessions(client, session, owner, lesson):
    other = make_session(lesson=lesson, owner=make_user(username="other"))
    client.force_login(owner)
    body = client.get(reverse("facilitation:sessions")).content.decode()
    assert session.code in body
    assert other.code not in body


def test_it_sends_anonymous_facilitators_to_sign_in(client, session):
    response = client.get(reverse("facilitation:dashboard", args=[session.code]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["dashboard", "projector", "dashboard_live", "qr"])
def test_it_shows_facilitator_pages_to_owner_and_cofacilitator_only(client, session, owner, name):
    url = reverse(f"facilitation:{name}", args=[session.code])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    teammate = make_user(username="teammate")
    session.cofacilitators.add(teammate)
    client.force_login(teammate)
    assert client.get(url).status_code == 200
    client.force_login(make_user(username="outsider"))
    response = client.get(url)
    assert response.status_code == 404
    assert session.code not in response.content.decode()


def test_it_refuses_clock_controls_to_another_facilitator(client, session):
    client.force_login(make_user(username="outsider"))
    response = client.post(reverse("facilitation:control", args=[session.code, "start"]))
    assert response.status_code == 404
    session.refresh_from_db()
    assert session.started_at is None


def test_it_runs_controls_and_returns_the_updated_regions(client, session, owner):
    client.force_login(owner)
    url = reverse("facilitation:control", args=[session.code, "start"])
    response = client.post(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="clock"' in body and 'hx-swap-oob="true"' in body
    assert "Pause" in body
    session.refresh_from_db()
    assert session.started_at is not None


def test_it_explains_an_invalid_control(client, session, owner):
    client.force_login(owner)
    url = reverse("facilitation:control", args=[session.code, "next"])
    body = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert "Start the session first." in body


def test_it_rejects_bad_extension_minutes(client, session, owner):
    client.force_login(owner)
    client.post(reverse("facilitation:control", args=[session.code, "start"]), headers={"HX-Request": "true"})
    url = reverse("facilitation:control", args=[session.code, "extend"])
    body = client.post(url, {"minutes": "abc"}, headers={"HX-Request": "true"}).content.decode()
    assert "Choose how many minutes to add." in body
    assert session.phases.get(order=0).budget_seconds == 1800


def test_it_renders_the_dashboard_with_a_fixed_number_of_queries(
    client, session, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    url = reverse("facilitation:dashboard", args=[session.code])
    for i in range(3):
        make_participant(session=session, name=f"P{i}")
    with django_assert_max_num_queries(120) as small:
        client.get(url)
    for i in range(40):
        make_participant(session=session, name=f"Q{i}")
    with django_assert_max_num_queries(120) as large:
        body = client.get(url).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "43 joined" in body


def test_the_dashboard_loads_the_participants_once_for_all_its_panels(
    client, session, owner, django_assert_max_num_queries
):
    for i in range(5):
        make_participant(session=session, name=f"P{i}")
    client.force_login(owner)
    with django_assert_max_num_queries(120) as queries:
        client.get(reverse("facilitation:dashboard", args=[session.code]))
    roster = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "facilitation_participant"')
    ]
    assert len(roster) == 1, roster


def test_the_who_is_here_list_shows_each_person_escaped_with_level_role_and_state(client, session, owner):
    online = make_participant(session=session, name='<b>Ada</b> & "Bo"', experience="novice", role="ml")
    make_participant(session=session, name="Grace", experience="expert", role="finance")
    Participant.objects.filter(pk=online.pk).update(connections=1)
    client.force_login(owner)
    body = client.get(reverse("facilitation:dashboard", args=[session.code])).content.decode()
    assert (
        '<li class="online"><span class="dot" aria-hidden="true"></span>'
        '<span class="person-name">&lt;b&gt;Ada&lt;/b&gt; &amp; &quot;Bo&quot;</span>'
        '<span class="person-meta">Novice AI professionals · Machine learning</span>'
        '<span class="sr-only">online</span></li>'
    ) in body
    assert '<span class="person-name">Grace</span>' in body
    assert "<b>Ada</b>" not in body


# --- Learners: joining --------------------------------------------------------------------------------------


def test_it_joins_with_a_code_and_binds_the_participant_to_the_browser(client, session):
    before = client.session.session_key
    response = join(client, session.code, name="  Grace   Hopper ")
    assert response.status_code == 302 and response["Location"] == f"/s/{session.code}/"
    participant = Participant.objects.get()
    assert participant.name == "Grace Hopper"
    assert client.session[SESSION_KEY] == {session.code: participant.pk}
    assert client.session.session_key != before
    page = client.get(f"/s/{session.code}/").content.decode()
    assert "Grace Hopper" in page


def test_it_accepts_lowercase_codes_with_spaces(client, session):
    response = client.get(
        reverse("facilitation:join"), {"code": f" {session.code.lower()[:3]} {session.code[3:]} "}
    )
    assert response.status_code == 302 and response["Location"] == f"/join/{session.code}/"


def test_it_explains_a_wrong_or_malformed_code(client, session):
    response = client.get(reverse("facilitation:join"), {"code": "ZZZZZZ"})
    assert response.status_code == 400
    assert "No open session has this code" in response.content.decode()
    response = client.get(reverse("facilitation:join"), {"code": "AB"})
    assert "A join code has 6 letters and digits" in response.content.decode()


def test_it_refuses_to_join_an_ended_session(client, session):
    from facilitation import control

    control.end(session)
    response = client.get(reverse("facilitation:join_code", args=[session.code]))
    assert response.status_code == 404
    assert "it may have ended" in response.content.decode()


def test_it_explains_each_missing_join_field(client, session):
    response = client.post(reverse("facilitation:join_code", args=[session.code]), {"name": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in body
    assert "Please confirm you will keep what others share confidential." in body
    assert not Participant.objects.exists()


def test_the_join_form_chooses_no_role_for_the_learner(client, session):
    body = client.get(reverse("facilitation:join_code", args=[session.code])).content.decode()
    select = body[body.index('<select name="role"') : body.index("</select>")]
    assert '<option value="" selected>Choose…</option>' in select
    assert select.count("selected") == 1
    response = join(client, session.code, role="")
    assert response.status_code == 400
    assert "Please choose your role, or “Prefer not to say”." in response.content.decode()
    assert not Participant.objects.exists()


def test_a_learner_may_prefer_not_to_say_their_role(client, session):
    body = client.get(reverse("facilitation:join_code", args=[session.code])).content.decode()
    assert '<option value="unstated">Prefer not to say</option>' in body
    assert join(client, session.code, role="unstated").status_code == 302
    assert Participant.objects.get().get_role_display() == "Prefer not to say"


def test_it_refuses_an_unknown_experience_level_and_control_characters(client, session):
    response = join(client, session.code, experience="wizard")
    assert "Select a valid choice" in response.content.decode()
    response = join(client, session.code, name="Bad\x07name")
    assert "control characters" in response.content.decode()
    assert not Participant.objects.exists()


def test_it_escapes_names(client, session, owner):
    join(client, session.code, name="<script>alert(1)</script>")
    owner_client = type(client)()
    owner_client.force_login(owner)
    body = owner_client.get(reverse("facilitation:dashboard", args=[session.code])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_tells_apart_two_people_with_the_same_name(client, session, owner):
    make_participant(session=session, name="Sam")
    make_participant(session=session, name="sam")
    assert [p.display_name for p in session.participants.all()] == ["Sam", "sam (2)"]


def test_it_rate_limits_join_attempts(client, session, settings):
    settings.JOIN_RATE = "3/m"
    from django.core.cache import cache

    cache.clear()
    statuses = [client.get(reverse("facilitation:join"), {"code": "ZZZZZZ"}).status_code for _ in range(5)]
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3:] == [429, 429]
    assert (
        "Too many wrong join codes"
        in client.get(reverse("facilitation:join"), {"code": "X"}).content.decode()
    )
    cache.clear()


def test_it_sends_a_learner_who_has_not_joined_to_the_join_form(client, session):
    response = client.get(reverse("facilitation:learner", args=[session.code]))
    assert response.status_code == 302 and response["Location"] == f"/join/{session.code}/"


def test_it_keeps_a_learner_out_of_another_session(client, session, lesson):
    other = make_session(lesson=lesson, owner=make_user(username="other"))
    join(client, session.code)
    assert client.get(reverse("facilitation:learner", args=[session.code])).status_code == 200
    response = client.get(reverse("facilitation:learner", args=[other.code]))
    assert response.status_code == 302 and response["Location"] == f"/join/{other.code}/"
    assert client.get(reverse("facilitation:dashboard", args=[session.code])).status_code == 302


def test_it_shows_the_learner_the_hint_for_their_level(client, session):
    from facilitation import control

    control.start(session)
    join(client, session.code, experience="experienced")
    body = client.get(reverse("facilitation:learner", args=[session.code])).content.decode()
    assert "Encourage deeper analysis and peer mentoring" in body
    assert "Provide additional background reading" not in body
    assert "Engage: learner activities." in body


def test_it_renders_the_learner_page_with_a_fixed_number_of_queries(
    client, session, django_assert_max_num_queries
):
    join(client, session.code)
    url = reverse("facilitation:learner", args=[session.code])
    with django_assert_max_num_queries(120) as small:
        client.get(url)
    for i in range(30):
        make_participant(session=session, name=f"Q{i}")
    with django_assert_max_num_queries(120) as large:
        client.get(url)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_healthz_reports_database_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "channel_layer": True}


def test_healthz_says_503_when_the_channel_layer_does_not_answer(client, settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "channel_layer": False}


def test_it_places_a_late_joiner_into_the_smallest_group(client, session):
    from facilitation.tools.groups.rules import create_grouping, group_of
    from tests.factories import make_participant

    for name in ("Ada", "Bo", "Cy"):
        make_participant(session=session, name=name)
    grouping = create_grouping(session, strategy="random", count=2, seed=1)
    sizes_before = sorted(g.members.count() for g in grouping.groups.all())
    assert sizes_before == [1, 2]
    join(client, session.code, name="Late Lou")
    lou = Participant.objects.get(name="Late Lou")
    placed = group_of(lou)
    assert placed is not None
    assert sorted(g.members.count() for g in grouping.groups.all()) == [2, 2]


# --- Projector: the end screen ------------------------------------------------------------------------------


def join_card_traces(html: str, session) -> list[str]:
    """What of the join card an HTML holds: the code as text, the join address, the QR code."""
    traces = [f"/join/{session.code}/", 'aria-label="QR code to join"', "<svg", 'class="join-code"']
    return [trace for trace in traces if trace in html] + (
        [session.code] if f">{session.code}<" in html else []
    )


def test_it_shows_the_join_card_on_the_projector_of_a_running_session(client, session, owner):
    control.start(session)
    client.force_login(owner)
    html = client.get(reverse("facilitation:projector", args=[session.code])).content.decode()
    assert len(join_card_traces(html, session)) == 5
    assert "this session has ended" not in html


def test_it_puts_an_end_screen_without_join_code_or_qr_on_the_projector_of_an_ended_session(
    client, session, owner, monkeypatch, django_capture_on_commit_callbacks
):
    control.start(session)
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    with django_capture_on_commit_callbacks(execute=True):
        control.end(session)
    client.force_login(owner)
    page = client.get(reverse("facilitation:projector", args=[session.code])).content.decode()
    # What a projector that reconnects is sent back over its socket, holding nothing yet.
    held = dict.fromkeys(screens.every_topic(screens.PROJECTOR), 0)
    resync = live_resync.answer_shared(session.pk, screens.PROJECTOR, held, {})
    (push,) = [html for group, html in sent if group == session.group_projector]
    for html in (page, resync, push):
        assert join_card_traces(html, session) == []
        assert "Thank you — this session has ended" in html and session.lesson.title in html
    # The push replaces the join card, and the people count (still pushed) keeps a place on the page.
    assert 'id="projector-join"' in push and 'id="projector-people"' in page
