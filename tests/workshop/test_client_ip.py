from django.test import RequestFactory

from workshop.client_ip import client_address, client_network


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_it_uses_the_connection_address_without_a_proxy_whatever_the_headers_say(settings):
    settings.TRUST_PROXY_HEADERS = False
    assert client_address(_request(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "10.0.0.5"


def test_it_takes_the_hop_the_proxy_wrote_not_the_one_the_client_wrote(settings):
    settings.TRUST_PROXY_HEADERS = True
    request = _request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7")
    assert client_address(request) == "10.0.0.7"
    assert client_address(_request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.8")) == "10.0.0.8"


def test_it_falls_back_to_the_connection_when_the_header_is_missing_or_garbage(settings):
    settings.TRUST_PROXY_HEADERS = True
    assert client_address(_request(REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"
    assert (
        client_address(_request(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, nonsense"))
        == "10.0.0.5"
    )


def test_it_widens_an_ipv6_address_to_its_network(settings):
    settings.TRUST_PROXY_HEADERS = False
    assert client_network(_request(REMOTE_ADDR="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_network(_request(REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"
