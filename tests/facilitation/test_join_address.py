"""The join address on the dashboard, the projector and in the QR code, for a facilitator on localhost; the
facilitator's pick when the machine has several addresses; the warning when it has only loopback."""

import pytest
from django.urls import reverse

from facilitation import addresses
from facilitation.addresses import Interface
from facilitation.live import broadcast
from facilitation.views import _qr_document
from tests.factories import make_session, make_user

pytestmark = pytest.mark.django_db

LOCALHOST = {"HTTP_HOST": "localhost:8000"}
LOOPBACK = [Interface("lo", "127.0.0.1"), Interface("lo", "::1")]
WIFI = Interface("wlan0", "192.168.1.20")
CABLE = Interface("eth0", "10.0.0.5")
WARNING = "Phones can't"


@pytest.fixture
def interfaces(monkeypatch):
    """The machine's interfaces, as the test sets them."""
    found = list(LOOPBACK)
    monkeypatch.setattr(addresses, "machine_interfaces", lambda: list(found))
    return found


@pytest.fixture
def owner():
    return make_user(username="owner")


@pytest.fixture
def session(owner):
    return make_session(owner=owner)


@pytest.fixture
def facilitator(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(broadcast, "send", lambda group, html: sent.append((group, html)))
    return sent


def page(client, name: str, session, **headers) -> str:
    response = client.get(reverse(f"facilitation:{name}", args=[session.code]), **{**LOCALHOST, **headers})
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_machines_lan_address_on_localhost(facilitator, session, interfaces):
    interfaces.append(WIFI)
    join_url = f"http://192.168.1.20:8000/join/{session.code}/"
    for name in ("dashboard", "projector"):
        assert join_url in page(facilitator, name, session), name
    assert page(facilitator, "qr", session) == _qr_document(join_url).decode()
    dashboard = page(facilitator, "dashboard", session)
    assert "join-address-picker" not in dashboard and WARNING not in dashboard


def test_it_warns_on_the_dashboard_and_the_projector_when_the_only_address_is_loopback(
    facilitator, session, interfaces
):
    dashboard = page(facilitator, "dashboard", session)
    projector = page(facilitator, "projector", session)
    for body in (dashboard, projector):
        assert f"http://localhost:8000/join/{session.code}/" in body
        assert WARNING in body and "PUBLIC_URL" in body
    assert "Connect this computer to the room's Wi-Fi or network" in dashboard


def test_it_says_to_serve_on_the_network_when_the_server_listens_on_loopback_only(
    facilitator, session, interfaces, monkeypatch
):
    interfaces.append(WIFI)
    monkeypatch.setattr(addresses, "bound_host", "127.0.0.1")  # `manage.py serve --host 127.0.0.1`
    dashboard = page(facilitator, "dashboard", session)
    assert f"http://localhost:8000/join/{session.code}/" in dashboard
    assert "The server listens on this computer only" in dashboard and "--host 0.0.0.0" in dashboard
    assert "--host 0.0.0.0" in page(facilitator, "projector", session)


def test_public_url_wins_without_picker_or_warning(facilitator, session, interfaces, settings):
    interfaces.extend([WIFI, CABLE])
    settings.PUBLIC_URL = "https://workshop.example.org/"
    dashboard = page(facilitator, "dashboard", session)
    assert f"https://workshop.example.org/join/{session.code}/" in dashboard
    assert "join-address-picker" not in dashboard and WARNING not in dashboard


def test_a_page_opened_on_the_lan_address_keeps_it(facilitator, session, interfaces):
    interfaces.extend([WIFI, CABLE])
    dashboard = page(facilitator, "dashboard", session, HTTP_HOST="10.0.0.5:8000")
    assert f"http://10.0.0.5:8000/join/{session.code}/" in dashboard
    assert "join-address-picker" not in dashboard


def test_the_facilitator_picks_one_of_several_addresses_and_the_projector_follows(
    facilitator, session, interfaces, pushes
):
    interfaces.extend([WIFI, CABLE])
    dashboard = page(facilitator, "dashboard", session)
    assert 'value="http://192.168.1.20:8000" selected' in dashboard
    assert '<option value="http://10.0.0.5:8000">10.0.0.5 (eth0)</option>' in dashboard

    url = reverse("facilitation:join_address", args=[session.code])
    response = facilitator.post(url, {"address": "http://10.0.0.5:8000"}, HTTP_HX_REQUEST="true", **LOCALHOST)
    assert response.status_code == 200
    chosen = f"http://10.0.0.5:8000/join/{session.code}/"
    assert 'id="join-card"' in response.content.decode() and chosen in response.content.decode()
    # The open projectors get the new address and QR code at once.
    (group, html), *_ = pushes
    assert group == session.group_projector
    assert chosen in html and 'id="projector-qr"' in html and "<svg" in html
    # Remembered for this browser: every page, and the QR code, show the pick from now on.
    for name in ("dashboard", "projector"):
        assert chosen in page(facilitator, name, session), name
    assert page(facilitator, "qr", session) == _qr_document(chosen).decode()
    assert 'value="http://10.0.0.5:8000" selected' in page(facilitator, "dashboard", session)


def test_an_address_that_is_not_the_machines_is_refused_with_a_message(
    facilitator, session, interfaces, pushes
):
    interfaces.extend([WIFI, CABLE])
    url = reverse("facilitation:join_address", args=[session.code])
    facilitator.post(url, {"address": "http://10.0.0.5:8000"}, HTTP_HX_REQUEST="true", **LOCALHOST)
    pushes.clear()
    response = facilitator.post(url, {"address": "http://evil.example"}, HTTP_HX_REQUEST="true", **LOCALHOST)
    assert response.status_code == 200  # htmx swaps the card with its message in
    body = response.content.decode()
    assert 'id="join-address-error"' in body and "not one of this computer" in body
    # The earlier pick stands, and the projectors got nothing.
    assert pushes == []
    assert f"http://10.0.0.5:8000/join/{session.code}/" in body
    assert f"http://10.0.0.5:8000/join/{session.code}/" in page(facilitator, "projector", session)
    # Without htmx: back to the dashboard, with the message.
    response = facilitator.post(url, {"address": ""}, follow=True, **LOCALHOST)
    assert "not one of this computer" in response.content.decode()


def test_the_pick_is_the_facilitators_own(client, facilitator, session, interfaces, pushes):
    interfaces.extend([WIFI, CABLE])
    url = reverse("facilitation:join_address", args=[session.code])
    outsider = make_user(username="outsider")
    client.force_login(outsider)
    response = client.post(url, {"address": "http://10.0.0.5:8000"}, **LOCALHOST)
    assert response.status_code == 404 and pushes == []
