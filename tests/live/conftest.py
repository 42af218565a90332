"""Websocket tests drive `workshop.asgi.application` in this process, with a fresh in-memory channel layer."""

import importlib

import pytest


@pytest.fixture
def asgi_app(settings):
    """The project's ASGI application, composed again under explicit ALLOWED_HOSTS.

    `AllowedHostsOriginValidator` reads ALLOWED_HOSTS once, when `workshop.asgi` builds the application, so
    overriding the setting alone would not reach the origin check: the module is reloaded under the override
    and the original application is put back afterwards (the daphne test server imports it too)."""
    import workshop.asgi

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    # Changing CHANNEL_LAYERS makes Channels build a new layer: nothing queued leaks in from another test.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    original = workshop.asgi.application, workshop.asgi.django_asgi_app
    importlib.reload(workshop.asgi)
    yield workshop.asgi.application
    workshop.asgi.application, workshop.asgi.django_asgi_app = original
