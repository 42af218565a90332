import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789abcdef",
    "ALLOWED_HOSTS": "phasewise.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://phasewise.example.org",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "TRUST_PROXY_HEADERS": "true",
}


def test_it_passes_the_deployment_checks_with_production_settings():
    env = {**os.environ, **PRODUCTION}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for browser tests in this process, never in production
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.django_db
def test_it_sends_a_policy_that_allows_only_our_own_scripts(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_needs_inline_script():
    """CSP forbids inline script: no template may carry a <script> without src or an on* handler."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for line_number, line in enumerate(text.splitlines(), 1):
            lowered = line.lower()
            if "<script" in lowered and "src=" not in lowered:
                offenders.append(f"{path.relative_to(ROOT)}:{line_number}")
            if any(
                f" on{event}=" in lowered for event in ("click", "load", "change", "submit", "input", "error")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{line_number}")
    assert offenders == []
