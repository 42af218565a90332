"""Where learners' phones reach this server: the join address on the projector, the dashboard, in the QR code
and printed by `manage.py serve`.

A facilitator following the README opens http://localhost:8000/, and a QR code for "localhost" is useless on a
phone. The machine's host name does not help either (it resolves to 127.0.0.1, or 127.0.1.1 on Debian), so the
addresses come from its network interfaces: private IPv4 first (the room's Wi-Fi), then other IPv4, then IPv6;
never loopback or link-local. When there are several the facilitator picks one on the dashboard; when there is
none, the screens say that phones cannot reach the address shown, and what to do. `PUBLIC_URL` always wins.

Everything here is a pure function of the interface list, which callers may pass (tests do); only
`machine_interfaces` reads the machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Interfaces of containers and virtual machines: reachable from this machine only, so offered last.
VIRTUAL_INTERFACES = ("docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "cni", "flannel", "lxc", "podman")

# Bind addresses that listen on every interface (IPv4 only for "0.0.0.0").
ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")
# The address `manage.py serve` bound daphne to, when it did ("0.0.0.0" takes IPv4 only; "::" both).
bound_host: str | None = None


@dataclass(frozen=True)
class Interface:
    name: str
    address: str  # an IPv4 or IPv6 address, without a scope


@dataclass(frozen=True)
class Choice:
    url: str
    label: str


@dataclass(frozen=True)
class JoinBase:
    """The base URL learners are shown, and how it was found."""

    url: str
    # Addresses the facilitator may pick from (two or more), the one in `url` among them.
    choices: tuple[Choice, ...] = ()
    # `url` names this machine only (localhost, 127.x, ::1): phones cannot open it.
    loopback_only: bool = False
    # "setting" (PUBLIC_URL), "request" (the host the page was opened on), "interface" (found on the machine).
    source: str = "request"
    # Why phones cannot reach `url`, when they cannot: "setting" (PUBLIC_URL names loopback), "network" (no
    # address besides loopback), "bind" (the machine has one, but the server does not listen on it).
    problem: str = ""


def machine_interfaces() -> list[Interface]:
    """This machine's interface addresses (ifaddr: getifaddrs on Linux and macOS, the adapter list on
    Windows). Nothing is sent anywhere."""
    import ifaddr

    try:
        adapters = ifaddr.get_adapters()
    except OSError:
        return []
    found = []
    for adapter in adapters:
        for ip in adapter.ips:
            address = ip.ip if isinstance(ip.ip, str) else ip.ip[0]  # IPv6: (address, flowinfo, scope id)
            found.append(Interface(adapter.nice_name or adapter.name, address.split("%")[0]))
    return found


def _rank(interface: Interface, bind: str | None) -> tuple[int, int] | None:
    """Sort key of an address learners may reach, or None for one they cannot."""
    try:
        ip = ipaddress.ip_address(interface.address)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return None
    if bind == "0.0.0.0" and ip.version != 4:
        return None  # daphne bound to 0.0.0.0 listens on IPv4 only
    if bind is not None and bind not in ALL_INTERFACES and ip != _ip_or_none(bind):
        return None  # bound to one address: only that one answers
    if ip.version == 4:
        family = 0 if ip.is_private else 1
    else:
        family = 2 if ip.is_private else 3  # a unique local (fd00::/8) address is stabler than a global one
    return (int(interface.name.startswith(VIRTUAL_INTERFACES)), family)


def _ip_or_none(value: str):
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def reachable(interfaces: Iterable[Interface], bind: str | None = None) -> list[Interface]:
    """The addresses learners on the network may reach this machine at, best first, each once."""
    ranked: dict[str, tuple[tuple[int, int], int, Interface]] = {}
    for position, interface in enumerate(interfaces):
        rank = _rank(interface, bind)
        if rank is not None and interface.address not in ranked:
            ranked[interface.address] = (rank, position, interface)
    return [interface for _, _, interface in sorted(ranked.values(), key=lambda item: item[:2])]


def is_loopback_host(hostname: str) -> bool:
    """Whether a host name or address names this machine only (what a phone cannot open)."""
    name = hostname.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    ip = _ip_or_none(name)
    if ip is None:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def base_url(scheme: str, address: str, port: str = "") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def _split_host(host: str) -> tuple[str, str]:
    """("localhost", "8000") from "localhost:8000", ("::1", "8000") from "[::1]:8000"."""
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        return address, rest.removeprefix(":")
    if host.count(":") == 1:
        name, _, port = host.partition(":")
        return name, port
    return host, ""


def join_base(
    *,
    scheme: str,
    host: str,
    public_url: str = "",
    interfaces: Iterable[Interface] | None = None,
    chosen: str | None = None,
    bind: str | None = None,
) -> JoinBase:
    """The base URL to show learners for a page opened at `scheme://host`.

    `PUBLIC_URL` wins. A page opened on another name than this machine's loopback (the LAN address, a DNS name
    behind a proxy) shows that name: the facilitator reached it, so can the room. Opened on localhost, it shows
    the best of the machine's addresses, or `chosen` when that is one of them."""
    if public_url:
        url = public_url.strip().rstrip("/")
        if is_loopback_host(urlsplit(url).hostname or ""):
            return JoinBase(url, loopback_only=True, source="setting", problem="setting")
        return JoinBase(url, source="setting")
    hostname, port = _split_host(host)
    if not is_loopback_host(hostname):
        return JoinBase(f"{scheme}://{host}")
    interfaces = machine_interfaces() if interfaces is None else list(interfaces)
    candidates = reachable(interfaces, bind)
    if not candidates:
        problem = "bind" if reachable(interfaces) else "network"
        return JoinBase(f"{scheme}://{host}", loopback_only=True, problem=problem)
    choices = tuple(
        Choice(base_url(scheme, item.address, port), f"{item.address} ({item.name})") for item in candidates
    )
    urls = [choice.url for choice in choices]
    url = chosen if chosen in urls else urls[0]
    return JoinBase(url, choices=choices if len(choices) > 1 else (), source="interface")


def startup_lines(*, host: str, port: int, public_url: str, interfaces: Iterable[Interface]) -> list[str]:
    """What `manage.py serve` prints about where learners join, for a server bound to `host`."""
    if public_url:
        return [f"Learners join at {public_url.strip().rstrip('/')}/join/"]
    if host not in ALL_INTERFACES and is_loopback_host(host):
        return [
            f"Only this computer can open it: the server listens on {host}. "
            "Serve with --host 0.0.0.0 (HOST=0.0.0.0 make run) to let learners' phones in."
        ]
    found = reachable(interfaces, bind=host)
    if not found:
        return [
            "Phones cannot reach this computer: it has no network address besides loopback. Connect it to the "
            "room's network (Wi-Fi or cable) and restart, or set PUBLIC_URL to an address learners can open."
        ]
    urls = [base_url("http", item.address, str(port)) + "/join/" for item in found]
    lines = [f"Learners on this network join at {urls[0]}"]
    if len(urls) > 1:
        lines.append(f"  (also {', '.join(urls[1:])}: pick the one learners use on the dashboard)")
    return lines
