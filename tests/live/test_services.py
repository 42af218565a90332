"""The scaled-out components for real: PostgreSQL (psycopg 3) and Redis (channels-redis) on this machine."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

pytestmark = pytest.mark.services

CORE_FLOW = """
from django.contrib.auth import get_user_model
from facilitation import control
from facilitation.joining import add_participant, create_session, session_clock
from lessons.markdown import import_file
lesson = import_file("fixtures/lessons/integration-maze.md").lesson
user = get_user_model().objects.create_user("pg-facilitator", password="x", is_staff=True)
session = create_session(lesson=lesson, owner=user)
session = control.start(session)
add_participant(session=session, name="Ada", experience="novice", role="data")
session = control.next_phase(session)
state = session_clock(session)
print("PHASE", state.current, "PARTICIPANTS", session.participants.count(), "PHASES", len(state.phases))
"""


@pytest.fixture
def postgres_url():
    require_service(PG_HOST, PG_PORT, "PostgreSQL")
    import psycopg

    name = f"phasewise_test_{uuid.uuid4().hex[:10]}"
    admin = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_it_migrates_and_runs_a_session_on_postgresql(postgres_url):
    env = {**os.environ, "DATABASE_URL": postgres_url}
    env.pop("REDIS_URL", None)
    migrated = _manage("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr
    flow = _manage("shell", "-c", CORE_FLOW, env=env)
    assert flow.returncode == 0, flow.stderr
    assert "PHASE 1 PARTICIPANTS 1 PHASES 5" in flow.stdout


def test_it_delivers_a_group_message_between_two_redis_channel_layers():
    """Two layer instances stand for two daphne processes: a group message sent by one reaches the other."""
    require_service("127.0.0.1", 6379, "Redis")
    from channels_redis.core import RedisChannelLayer

    prefix = f"phasewise-test-{uuid.uuid4().hex[:8]}"

    async def roundtrip():
        sender = RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
        receiver = RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
        channel = await receiver.new_channel()
        await receiver.group_add("session-1", channel)
        await sender.group_send(
            "session-1", {"type": "html.fragment", "html": '<div id="clock">Explore</div>'}
        )
        message = await receiver.receive(channel)
        await receiver.group_discard("session-1", channel)
        await sender.flush()
        await receiver.close_pools()
        await sender.close_pools()
        return message

    message = async_to_sync(roundtrip)()
    assert message == {"type": "html.fragment", "html": '<div id="clock">Explore</div>'}


IDLE_WAIT = """
import asyncio, django
django.setup()
from channels.layers import get_channel_layer

async def main():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    async def later():
        await asyncio.sleep(layer.brpop_timeout + 1.5)
        await layer.send(channel, {"type": "html.fragment", "html": "late"})
    sender = asyncio.create_task(later())
    message = await layer.receive(channel)
    await sender
    print("RECEIVED", message["html"])

asyncio.run(main())
"""


def test_an_idle_socket_keeps_waiting_on_redis_with_the_configured_layer():
    """A learner's socket may hear nothing for minutes. channels-redis waits in slices of `brpop_timeout`;
    redis-py 8 would time the read out at the same moment and kill the consumer unless settings give the
    socket a longer read timeout."""
    require_service("127.0.0.1", 6379, "Redis")
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "workshop.settings"}
    done = subprocess.run(
        [sys.executable, "-c", IDLE_WAIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RECEIVED late" in done.stdout


@pytest.mark.django_db
def test_it_reports_health_with_redis(client, settings):
    require_service("127.0.0.1", 6379, "Redis")
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": True, "channel_layer": True}
    finally:
        channel_layers.backends.clear()
