"""Settings of the browser tests' server (`daphne_server` in tests/conftest.py): Phasewise's own, read from the
environment as in production, with the hashers the test process uses, so that the server verifies the
passwords the tests' users were given (MD5 first: with PBKDF2 first, every sign-in would rehash for a second)."""

from workshop.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
