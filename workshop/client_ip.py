"""The client's network address, which every per-address limit (join guesses, sign-ins, PDF turns) is keyed by."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address of the machine that sent the request.

    Without a proxy that is the connection's own address (`REMOTE_ADDR`). Behind one (`TRUST_PROXY_HEADERS`) it
    is the last entry of `X-Forwarded-For`: the one our proxy wrote itself. Everything to its left was sent by
    the client and may be made up — nginx's `$proxy_add_x_forwarded_for` appends to whatever the client sent,
    and daphne's `--proxy-headers` reads the first entry. `deploy/nginx.conf` overwrites the header with
    `$remote_addr`, so both readings agree there; reading the last one keeps a spoofed header harmless behind
    a proxy that appends."""
    return _address(request.META.get("HTTP_X_FORWARDED_FOR", ""), request.META.get("REMOTE_ADDR") or "")


def client_network(request: HttpRequest) -> str:
    """`client_address`, with an IPv6 address widened to its /64: one phone may change its IPv6 address within
    its network at will (privacy addresses), so a limit keyed by the full address would not hold it."""
    return _network(client_address(request))


def scope_network(scope: dict) -> str:
    """`client_network` for an ASGI scope, before Django has made a request of it."""
    forwarded = b",".join(value for name, value in scope.get("headers", []) if name == b"x-forwarded-for")
    client = scope.get("client") or ("", 0)
    return _network(_address(forwarded.decode("latin-1"), client[0] or ""))


def _address(forwarded: str, remote: str) -> str:
    if settings.TRUST_PROXY_HEADERS:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops and _valid(hops[-1]):
            return hops[-1]
    return remote or "0.0.0.0"


def _network(address: str) -> str:
    if ":" in address and _valid(address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
