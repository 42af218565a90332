"""The join address learners are shown (facilitation/addresses.py), from an interface list the tests give."""

from urllib.parse import urlsplit

import pytest

from facilitation.addresses import (
    Interface,
    is_loopback_host,
    join_base,
    machine_interfaces,
    reachable,
    startup_lines,
)

LOOPBACK = [Interface("lo", "127.0.0.1"), Interface("lo", "::1")]
WIFI = Interface("wlan0", "192.168.1.20")
LINK_LOCAL = [Interface("wlan0", "fe80::1c2b:3aff:fe4d:5e6f"), Interface("eth0", "169.254.10.3")]


def base(host: str = "localhost:8000", **options):
    return join_base(scheme="http", host=host, **options)


def test_one_lan_address_is_shown_with_the_port_the_page_was_opened_on():
    join = base(interfaces=[*LOOPBACK, *LINK_LOCAL, WIFI])
    assert join.url == "http://192.168.1.20:8000"
    assert join.choices == () and not join.loopback_only and join.source == "interface"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "127.0.1.1:8000", "[::1]:8000"])
def test_every_loopback_host_is_replaced(host):
    assert base(host, interfaces=[*LOOPBACK, WIFI]).url == "http://192.168.1.20:8000"


def test_several_addresses_are_offered_private_ipv4_first_and_virtual_bridges_last():
    interfaces = [
        *LOOPBACK,
        Interface("docker0", "172.17.0.1"),
        Interface("eth0", "2a02:1810:4d02::20"),
        Interface("tailscale0", "100.101.102.103"),
        WIFI,
        Interface("wlan0", "fd12:3456::20"),
    ]
    join = base(interfaces=interfaces)
    assert join.url == "http://192.168.1.20:8000"
    assert [urlsplit(choice.url).hostname for choice in join.choices] == [
        "192.168.1.20",
        "100.101.102.103",
        "fd12:3456::20",
        "2a02:1810:4d02::20",
        "172.17.0.1",
    ]
    assert join.choices[0].label == "192.168.1.20 (wlan0)"


def test_the_facilitators_pick_wins_while_it_is_one_of_the_machines_addresses():
    interfaces = [WIFI, Interface("eth0", "10.0.0.5")]
    assert base(interfaces=interfaces, chosen="http://10.0.0.5:8000").url == "http://10.0.0.5:8000"
    # Gone (another network) or never offered: the best address, not whatever was posted.
    assert base(interfaces=interfaces, chosen="http://10.9.9.9:8000").url == "http://192.168.1.20:8000"
    assert base(interfaces=interfaces, chosen="http://evil.example").url == "http://192.168.1.20:8000"


def test_only_loopback_keeps_the_address_and_says_phones_cannot_reach_it():
    join = base(interfaces=[*LOOPBACK, *LINK_LOCAL])
    assert join.url == "http://localhost:8000"
    assert join.loopback_only and join.choices == () and join.problem == "network"


def test_public_url_wins_over_every_interface_and_host():
    join = base(public_url="https://workshop.example.org/", interfaces=[WIFI])
    assert join.url == "https://workshop.example.org"
    assert join.source == "setting" and not join.loopback_only and join.choices == ()
    assert base("10.0.0.9", public_url="http://192.168.5.5:9000").url == "http://192.168.5.5:9000"
    assert base(public_url="http://localhost:8000", interfaces=[WIFI]).problem == "setting"


def test_an_ipv6_only_machine_shows_its_address_in_brackets():
    interfaces = [*LOOPBACK, Interface("eth0", "2001:db8::5"), LINK_LOCAL[0]]
    assert base("[::1]:8000", interfaces=interfaces).url == "http://[2001:db8::5]:8000"
    # daphne bound to 0.0.0.0 listens on IPv4 only: that address would not answer.
    assert base(interfaces=interfaces, bind="0.0.0.0").problem == "bind"
    assert base(interfaces=interfaces, bind="::").url == "http://[2001:db8::5]:8000"


def test_a_server_bound_to_one_address_offers_only_that_one():
    interfaces = [WIFI, Interface("eth0", "10.0.0.5")]
    assert base(interfaces=interfaces, bind="10.0.0.5").url == "http://10.0.0.5:8000"
    only_here = base(interfaces=interfaces, bind="127.0.0.1")
    assert only_here.loopback_only and only_here.problem == "bind"


def test_a_page_opened_on_a_reachable_name_keeps_it():
    for host in ("192.168.1.20:8000", "phasewise.example.org", "[2001:db8::5]:8000"):
        join = base(host, interfaces=[Interface("eth0", "10.0.0.5")])
        assert join.url == f"http://{host}" and join.source == "request" and not join.loopback_only


def test_loopback_hosts_are_recognised():
    for host in (
        "localhost",
        "LOCALHOST.",
        "app.localhost",
        "127.0.0.1",
        "127.0.1.1",
        "::1",
        "[::1]",
        "0.0.0.0",
    ):
        assert is_loopback_host(host), host
    for host in ("192.168.1.20", "example.org", "fd00::2", "localhost.example.org"):
        assert not is_loopback_host(host), host


def test_reachable_drops_duplicates_and_garbage():
    assert reachable([WIFI, WIFI, Interface("x", "not an address"), Interface("y", "224.0.0.1")]) == [WIFI]


def test_the_machines_interfaces_are_read_without_error():
    found = machine_interfaces()
    assert all(isinstance(item, Interface) and "%" not in item.address for item in found)


def test_serve_prints_where_learners_join():
    lines = startup_lines(host="0.0.0.0", port=8000, public_url="", interfaces=[*LOOPBACK, WIFI])
    assert lines == ["Learners on this network join at http://192.168.1.20:8000/join/"]
    lines = startup_lines(
        host="::", port=9000, public_url="", interfaces=[WIFI, Interface("eth0", "fd00::2")]
    )
    assert lines[0] == "Learners on this network join at http://192.168.1.20:9000/join/"
    assert "http://[fd00::2]:9000/join/" in lines[1] and "dashboard" in lines[1]


def test_serve_says_when_phones_cannot_reach_it_and_what_to_do():
    (line,) = startup_lines(host="0.0.0.0", port=8000, public_url="", interfaces=LOOPBACK)
    assert "Phones cannot reach this computer" in line and "PUBLIC_URL" in line
    (line,) = startup_lines(host="127.0.0.1", port=8000, public_url="", interfaces=[WIFI])
    assert "Only this computer can open it" in line and "--host 0.0.0.0" in line
    (line,) = startup_lines(host="0.0.0.0", port=8000, public_url="https://w.example.org/", interfaces=[WIFI])
    assert line == "Learners join at https://w.example.org/join/"
