"""Serve Phasewise with daphne (HTTP and websockets in one process) and say where to open it."""

import socket

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand


def _lan_address() -> str | None:
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return None
    return None if address.startswith("127.") else address


class Command(BaseCommand):
    help = "Serve Phasewise with daphne on HOST:PORT (default 0.0.0.0:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        self.stdout.write(self.style.SUCCESS(f"Phasewise is running. Open http://localhost:{port}/"))
        lan = _lan_address()
        if settings.PUBLIC_URL:
            self.stdout.write(f"Learners join at {settings.PUBLIC_URL.rstrip('/')}/join/")
        elif lan and host in {"0.0.0.0", "::"}:
            self.stdout.write(f"Learners on this network join at http://{lan}:{port}/join/")
        self.stdout.write("Stop with Ctrl+C.")
        args = ["-b", host, "-p", str(port)]
        if settings.TRUST_PROXY_HEADERS:
            args.append("--proxy-headers")
        CommandLineInterface().run([*args, "workshop.asgi:application"])
