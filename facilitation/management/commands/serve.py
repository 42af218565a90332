"""Serve Phasewise with daphne (HTTP and websockets in one process) and say where to open it."""

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from facilitation import addresses
from workshop.static_files import outdated


class Command(BaseCommand):
    help = "Serve Phasewise with daphne on HOST:PORT (default 0.0.0.0:8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options):
        self._collect_static_files()
        addresses.bound_host = host  # the join address shown on the pages is one this server listens on
        self.stdout.write(self.style.SUCCESS(f"Phasewise is running. Open http://localhost:{port}/"))
        lines = addresses.startup_lines(
            host=host, port=port, public_url=settings.PUBLIC_URL, interfaces=addresses.machine_interfaces()
        )
        for line in lines:
            self.stdout.write(line)
        self.stdout.write("Stop with Ctrl+C.")
        self.stdout.flush()
        daphne_args = ["-b", host, "-p", str(port)]
        if settings.TRUST_PROXY_HEADERS:
            daphne_args.append("--proxy-headers")
        CommandLineInterface().run([*daphne_args, "workshop.asgi:application"])

    def _collect_static_files(self) -> None:
        """Whichever order the setup commands ran in, serve today's CSS and JS, compressed: collect them when
        STATIC_ROOT lacks any or holds an older copy."""
        stale = outdated()
        if not stale:
            return
        self.stdout.write(f"Collecting {len(stale)} new or changed static files into {settings.STATIC_ROOT}…")
        call_command("collectstatic", interactive=False, verbosity=0)
