"""First writes on PostgreSQL: a learner's first saves arriving together (the page re-sends every "Not saved"
field after a reconnect) make one plan and one answer each, and no server error.

SQLite runs writers one after another, so this shape only shows on PostgreSQL: two requests both find no plan,
both insert, and the second meets the unique constraint (facilitation/first_write.py). Two daphne processes on
one PostgreSQL database of the test's own; 10 fresh learners send 8 first saves each at the same moment (both
action-plan fields and both worksheet items, each twice, all based on version 0), spread over both processes.
The forced-race test makes "another request created it meanwhile" happen for certain: the row is committed by
another connection just before the service's own insert."""

from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import psycopg
import pytest

from tests.live.test_services import postgres_url  # noqa: F401  (fixture: a fresh PostgreSQL database)
from tests.servers import DaphneSubprocess, manage, run_script, server_env

pytestmark = pytest.mark.services

LEARNERS = 10
CSRF = "durabilityCsrfToken0123456789abc"

SETUP = f"""
import json
from django.conf import settings
from importlib import import_module
from facilitation import control
from facilitation.joining import SESSION_KEY
from lessons.models import WorksheetItem
from tests.factories import make_lesson, make_participant, make_session, make_user

lesson = make_lesson()
session = control.start(make_session(lesson=lesson, owner=make_user()))
store_class = import_module(settings.SESSION_ENGINE).SessionStore
learners = []
for i in range({LEARNERS}):
    person = make_participant(session=session, name=f"Learner {{i}}")
    store = store_class()
    store[SESSION_KEY] = {{session.code: person.pk}}
    store.create()
    learners.append({{"id": person.pk, "cookie": store.session_key}})
items = list(WorksheetItem.objects.filter(category__lesson=lesson).values_list("pk", flat=True))
fields = list(lesson.action_plan_fields.values_list("key", flat=True))
print(json.dumps({{"code": session.code, "learners": learners, "items": items, "fields": fields}}))
"""


def _post(port: int, code: str, cookie: str, path: str, data: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {
        "Cookie": f"sessionid={cookie}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "HX-Request": "true",
        "Host": f"127.0.0.1:{port}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection.request("POST", f"/s/{code}/{path}", body=urlencode(data), headers=headers)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


def _first_saves(i: int, data: dict) -> list[tuple[str, dict]]:
    """Eight first saves: each plan field and each worksheet item twice, all based on version 0."""
    saves = []
    for key in data["fields"]:
        form = {"field": key, key: f"Learner {i}: {key}", f"v-{key}": "0"}
        saves += [("plan/save/", form)] * 2
    for item in data["items"]:
        form = {"severity": "4", "comment": f"Learner {i} on {item}", "version": "0"}
        saves += [(f"worksheet/items/{item}/save/", form)] * 2
    return saves


def test_ten_learners_first_saves_at_once_over_two_processes_make_one_plan_each(postgres_url, tmp_path):  # noqa: F811
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    manage(env, "migrate", "--noinput")
    data = run_script(env, SETUP)
    servers = [DaphneSubprocess(env).start(), DaphneSubprocess(env).start()]
    try:
        jobs = [
            (servers[(i + n) % 2].port, learner["cookie"], path, form)
            for i, learner in enumerate(data["learners"])
            for n, (path, form) in enumerate(_first_saves(i, data))
        ]
        assert len(jobs) == LEARNERS * 8
        start = threading.Barrier(len(jobs))

        def send(job):
            port, cookie, path, form = job
            start.wait()
            return path, *_post(port, data["code"], cookie, path, form)

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            replies = list(pool.map(send, jobs))
        logs = [server.output() for server in servers]
    finally:
        for server in servers:
            server.stop()

    failures = [(path, status, body[:200]) for path, status, body in replies if status != 200]
    assert not failures, failures[:5]
    for log in logs:
        assert "IntegrityError" not in log and "Traceback" not in log, log[-3000:]
    with psycopg.connect(postgres_url.replace("postgres://", "postgresql://", 1)) as conn:
        plans = conn.execute(
            "SELECT participant_id, count(*) FROM facilitation_actionplan GROUP BY 1"
        ).fetchall()
        answers = conn.execute(
            """SELECT p.participant_id, f.key, a.text, a.version FROM facilitation_plananswer a
            JOIN facilitation_actionplan p ON p.id = a.plan_id JOIN lessons_actionplanfield f ON f.id = a.field_id"""
        ).fetchall()
        sheet = conn.execute(
            "SELECT participant_id, item_id, comment, version FROM facilitation_worksheetanswer"
        ).fetchall()
    ids = {learner["id"]: i for i, learner in enumerate(data["learners"])}
    assert sorted(plans) == sorted((pid, 1) for pid in ids)
    assert sorted(answers) == sorted(
        (pid, key, f"Learner {i}: {key}", 1) for pid, i in ids.items() for key in data["fields"]
    )
    assert sorted(sheet) == sorted(
        (pid, item, f"Learner {i} on {item}", 1) for pid, i in ids.items() for item in data["items"]
    )


FORCED_RACE = """
import json, threading
from django.db import connections
from django.db.models.signals import pre_save
from facilitation.tools.action_plan import rules as action_plan
from facilitation.tools.groups import rules as groups
from facilitation.tools.worksheets import rules as worksheets
from facilitation.models import ActionPlan, BreakoutGroup, GroupField, WorksheetAnswer
from lessons.models import WorksheetItem
from tests.factories import make_lesson, make_participant, make_session, make_user

session = make_session(lesson=make_lesson(), owner=make_user(), started=True)
ada = make_participant(session=session, name="Ada")
item = WorksheetItem.objects.filter(category__lesson=session.lesson).first()
key = session.lesson.action_plan_fields.first().key

def other_request_first(model, values):
    # Just before this request's insert, "another request" (another connection, in a thread) commits the row.
    def handler(sender, instance, raw, **kwargs):
        if instance.pk is None and not getattr(handler, "done", False):
            handler.done = True
            def insert():
                model.objects.create(**values)
                connections.close_all()
            thread = threading.Thread(target=insert)
            thread.start()
            thread.join()
    pre_save.connect(handler, sender=model, weak=False)
    return handler

results = {}
other_request_first(ActionPlan, {"participant": ada, "session": session})
try:
    saved = action_plan.save_answer(ada, key, "My plan", 0)
    results["plan"] = [saved.text, saved.version, ActionPlan.objects.filter(participant=ada).count()]
except Exception as error:
    results["plan"] = repr(error)
other_request_first(WorksheetAnswer, {"participant": ada, "item": item, "severity": 2, "version": 1})
try:
    saved = worksheets.save_answer(ada, item.pk, severity=2, applies=True, comment="", base_version=0)
    results["worksheet"] = [saved.answer.severity, saved.answer.version]
except Exception as error:
    results["worksheet"] = repr(error)
print(json.dumps(results))
"""


def test_a_first_save_that_loses_the_race_uses_the_row_the_other_request_made(postgres_url, tmp_path):  # noqa: F811
    env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=postgres_url)
    manage(env, "migrate", "--noinput")
    results = run_script(env, FORCED_RACE)
    assert results == {"plan": ["My plan", 1, 1], "worksheet": [2, 1]}
