"""Concurrent writes on SQLite: a room of learners saving at the same moment loses nothing and sees no error.

SQLite runs in WAL mode with IMMEDIATE transactions and a 20 s busy timeout (workshop/settings.py). In one daphne
process Django runs sync views one after another on one thread, so the writers that really contend for the
database file are separate processes: the HTTP test runs two daphne processes on one SQLite file (their own
subprocesses, tests/servers.py, so the test reads everything they write to stderr), and sends 60 learners'
notes, votes, worksheet answers and action-plan autosaves from 60 threads at once, half to each process. The
ORM test has 40 threads of this process write through the same service functions the views call, each on its
own connection to the test database."""

from __future__ import annotations

import http.client
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.db import close_old_connections, connections

from facilitation.models import Note, PlanAnswer, Vote, WorksheetAnswer
from facilitation.tools.action_plan import rules as action_plan
from facilitation.tools.wall import rules as wall
from facilitation.tools.worksheets import rules as worksheets
from lessons.models import WorksheetItem
from tests.factories import make_lesson, make_participant, make_session, make_user
from tests.servers import DaphneSubprocess, migrated_database, run_script, server_env

LEARNERS = 60
SEED_NOTES = 3  # every learner votes for each of them: many writers on the same rows
CSRF = "durabilityCsrfToken0123456789abc"  # 32 letters and digits: a valid CSRF secret for cookie and header

SETUP = f"""
import json
from django.conf import settings
from importlib import import_module
from facilitation import control
from facilitation.tools.wall import rules as wall
from facilitation.joining import SESSION_KEY
from lessons.models import WorksheetItem
from tests.factories import make_lesson, make_participant, make_session, make_user

lesson = make_lesson()
session = control.start(make_session(lesson=lesson, owner=make_user()))
wall.set_open(session, True)
wall.open_voting(session, {SEED_NOTES})
host = make_participant(session=session, name="Host", experience="experienced")
seeds = [wall.post_note(host, text=f"Seed note {{i}}", colour="yellow").pk for i in range({SEED_NOTES})]
store_class = import_module(settings.SESSION_ENGINE).SessionStore
learners = []
for i in range({LEARNERS}):
    person = make_participant(session=session, name=f"Learner {{i}}", experience=("novice", "experienced")[i % 2])
    store = store_class()
    store[SESSION_KEY] = {{session.code: person.pk}}
    store.create()
    learners.append({{"id": person.pk, "name": person.name, "cookie": store.session_key}})
items = list(WorksheetItem.objects.filter(category__lesson=lesson).values_list("pk", flat=True))
fields = list(lesson.action_plan_fields.values_list("key", flat=True))
print(json.dumps({{"code": session.code, "learners": learners, "seeds": seeds, "items": items, "fields": fields}}))
"""


class Learner:
    """One learner's browser, as far as the server can tell: their session cookie, the CSRF header htmx sends,
    and `HX-Request` (the views answer htmx with fragments and status codes, not redirects)."""

    def __init__(self, port: int, code: str, cookie: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.code = code
        self.headers = {
            "Cookie": f"sessionid={cookie}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "HX-Request": "true",
            "Host": f"127.0.0.1:{port}",
        }

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[str, str, int, str]:
        headers = dict(self.headers)
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, f"/s/{self.code}/{path}", body=body, headers=headers)
        response = self.connection.getresponse()
        return method, path, response.status, response.read().decode("utf-8", "replace")


def texts(i: int) -> dict[str, str]:
    return {
        "note": f"Obstacle from learner {i}: nobody owns the cost report",
        "comment": f"Learner {i}: we see this every sprint",
        "plan": f"Learner {i}'s plan: one backlog, one budget",
    }


def a_learners_minute(learner: Learner, i: int, data: dict, start: threading.Barrier) -> list:
    """What one learner sends in a busy minute, as fast as the server answers: a note, a vote for each seed
    note, both worksheet items rated with a comment, each action-plan field autosaved, and their page reloaded
    (a page reconnecting resyncs over its socket; a reload reads the same regions and more)."""
    mine = texts(i)
    start.wait()
    replies = [learner.request("POST", "wall/notes/", {"text": mine["note"], "colour": "blue"})]
    for note_id in data["seeds"]:
        replies.append(learner.request("POST", f"wall/notes/{note_id}/vote/", {"action": "add"}))
    for item in data["items"]:
        form = {"severity": str(1 + (i + item) % 5), "comment": mine["comment"], "version": "0"}
        replies.append(learner.request("POST", f"worksheet/items/{item}/save/", form))
    for key in data["fields"]:
        replies.append(
            learner.request("POST", "plan/save/", {"field": key, key: mine["plan"], f"v-{key}": "0"})
        )
    replies.append(learner.request("GET", ""))
    return replies


@pytest.fixture(params=["SQLITE_PATH", "DATABASE_URL"])
def two_servers(tmp_path, request):
    """Two daphne processes on one fresh SQLite file, with a started session and 60 joined learners. The file
    is named by SQLITE_PATH or by a sqlite:/// DATABASE_URL (SQLITE_PATH then names another file, unused):
    both get the same tuning."""
    db = migrated_database(tmp_path)
    if request.param == "DATABASE_URL":
        env = server_env(tmp_path / "unused.sqlite3", DATABASE_URL=f"sqlite:///{db}")
    else:
        env = server_env(db)
    data = run_script(env, SETUP)
    servers = [DaphneSubprocess(env).start(), DaphneSubprocess(env).start()]
    yield db, data, servers
    for server in servers:
        server.stop()


def test_sixty_learners_saving_at_once_on_two_processes_lose_nothing(two_servers):
    db, data, servers = two_servers
    learners = [
        Learner(servers[i % 2].port, data["code"], person["cookie"])
        for i, person in enumerate(data["learners"])
    ]
    start = threading.Barrier(LEARNERS)
    with ThreadPoolExecutor(max_workers=LEARNERS) as pool:
        futures = [
            pool.submit(a_learners_minute, learner, i, data, start) for i, learner in enumerate(learners)
        ]
        replies = [reply for future in futures for reply in future.result()]

    expected = {"wall/notes/": 201}
    failures = [
        (method, path, status, body[:300])
        for method, path, status, body in replies
        if status != expected.get(path, 200) or "locked" in body.lower()
    ]
    assert not failures, failures[:5]
    per_learner = 1 + SEED_NOTES + len(data["items"]) + len(data["fields"]) + 1
    assert len(replies) == LEARNERS * per_learner
    for server in servers:
        log = server.output()
        for sign in ("database is locked", "Traceback", "Internal Server Error", "OperationalError"):
            assert sign not in log, log[-3000:]

    # Every write is in the file, once, as sent.
    for server in servers:
        server.stop()
    ids = {person["id"]: i for i, person in enumerate(data["learners"])}
    with sqlite3.connect(db) as connection:
        notes = connection.execute("SELECT participant_id, text FROM facilitation_note").fetchall()
        votes = connection.execute("SELECT note_id, participant_id FROM facilitation_vote").fetchall()
        answers = connection.execute(
            "SELECT participant_id, item_id, severity, comment, version FROM facilitation_worksheetanswer"
        ).fetchall()
        plans = connection.execute(
            """SELECT plan.participant_id, f.key, a.text, a.version FROM facilitation_plananswer a
            JOIN facilitation_actionplan plan ON plan.id = a.plan_id
            JOIN lessons_actionplanfield f ON f.id = a.field_id"""
        ).fetchall()
    learner_notes = [(pid, text) for pid, text in notes if pid in ids]
    assert sorted(learner_notes) == sorted((pid, texts(i)["note"]) for pid, i in ids.items())
    assert sorted(votes) == sorted((note, pid) for note in data["seeds"] for pid in ids)
    assert sorted(answers) == sorted(
        (pid, item, 1 + (i + item) % 5, texts(i)["comment"], 1)
        for pid, i in ids.items()
        for item in data["items"]
    )
    assert sorted(plans) == sorted(
        (pid, key, texts(i)["plan"], 1) for pid, i in ids.items() for key in data["fields"]
    )


@pytest.mark.django_db(transaction=True)
def test_forty_threads_writing_through_the_services_at_once_lose_nothing():
    """Each thread has its own SQLite connection: the writers really overlap, and wait for each other's
    IMMEDIATE transactions instead of failing with "database is locked"."""
    lesson = make_lesson()
    session = make_session(lesson=lesson, owner=make_user(), started=True)
    wall.set_open(session, True)
    wall.open_voting(session, SEED_NOTES)
    host = make_participant(session=session, name="Host")
    seeds = [wall.post_note(host, text=f"Seed {i}", colour="yellow").pk for i in range(SEED_NOTES)]
    people = [make_participant(session=session, name=f"Learner {i}") for i in range(40)]
    items = list(WorksheetItem.objects.filter(category__lesson=lesson).values_list("pk", flat=True))
    keys = list(lesson.action_plan_fields.values_list("key", flat=True))
    start = threading.Barrier(len(people))
    errors = []

    def work(i: int) -> None:
        person = people[i]
        try:
            start.wait()
            wall.post_note(person, text=texts(i)["note"], colour="green")
            for note_id in seeds:
                wall.vote(person, note_id, add=True)
            for item in items:
                worksheets.save_answer(
                    person, item, severity=3, applies=True, comment=texts(i)["comment"], base_version=0
                )
            for key in keys:
                action_plan.save_answer(person, key, texts(i)["plan"], 0)
        except Exception as exc:  # collected and reported below, with the learner
            errors.append((i, repr(exc)))
        finally:
            connections.close_all()

    close_old_connections()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:5]
    assert Note.objects.filter(participant__in=people).count() == len(people)
    assert Vote.objects.filter(participant__in=people).count() == len(people) * SEED_NOTES
    assert WorksheetAnswer.objects.filter(participant__in=people, comment__startswith="Learner").count() == (
        len(people) * len(items)
    )
    assert set(PlanAnswer.objects.filter(plan__participant__in=people).values_list("text", flat=True)) == {
        texts(i)["plan"] for i in range(len(people))
    }
    assert PlanAnswer.objects.filter(plan__participant__in=people).count() == len(people) * len(keys)
