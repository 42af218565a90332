"""PDF requests from one address take turns on the event loop (`workshop.turns.PdfsInTurn`)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync

from workshop.turns import PdfsInTurn


class HeldApp:
    """An ASGI app whose requests run until the test lets each one finish."""

    def __init__(self):
        self.entered: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    async def __call__(self, scope, receive, send):
        self.entered.append(scope["name"])
        self.release[scope["name"]] = event = asyncio.Event()
        await event.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _scope(name: str, path: str = "/s/ABCDEF/plan.pdf", client: str = "10.0.0.1", headers=()):
    return {"type": "http", "name": name, "path": path, "client": (client, 1234), "headers": list(headers)}


async def _settle():
    for _ in range(20):
        await asyncio.sleep(0)


def _sent():
    messages = []

    async def send(message):
        messages.append(message)

    return messages, send


@pytest.fixture(autouse=True)
def _no_spacing(settings):
    settings.PDF_SPACING = 0


def test_pdf_requests_from_one_address_run_one_after_another():
    async def scenario():
        app = HeldApp()
        gate = PdfsInTurn(app)
        first = asyncio.create_task(gate(_scope("first"), None, _sent()[1]))
        second = asyncio.create_task(gate(_scope("second"), None, _sent()[1]))
        other = asyncio.create_task(gate(_scope("other", client="10.0.0.2"), None, _sent()[1]))
        page = asyncio.create_task(gate(_scope("page", path="/s/ABCDEF/"), None, _sent()[1]))
        await _settle()
        # Another address and a page that is not a PDF do not wait; the same address's second PDF does.
        assert sorted(app.entered) == ["first", "other", "page"]
        app.release["first"].set()
        await _settle()
        assert app.entered[-1] == "second"
        for name in ("second", "other", "page"):
            app.release[name].set()
        await asyncio.gather(first, second, other, page)

    async_to_sync(scenario)()


def test_too_many_waiting_from_one_address_are_told_to_try_again():
    async def scenario():
        app = HeldApp()
        gate = PdfsInTurn(app, max_waiting=3)
        tasks = [asyncio.create_task(gate(_scope(f"r{n}"), None, _sent()[1])) for n in range(3)]
        await _settle()
        messages, send = _sent()
        await gate(_scope("one too many"), None, send)
        assert messages[0]["status"] == 429 and b"try again" in messages[1]["body"]
        for n in range(3):
            app.release[f"r{n}"].set()
            await _settle()
        await asyncio.gather(*tasks)

    async_to_sync(scenario)()


def test_behind_a_proxy_the_address_is_the_hop_the_proxy_wrote(settings):
    settings.TRUST_PROXY_HEADERS = True

    async def scenario():
        app = HeldApp()
        gate = PdfsInTurn(app)
        spoofed = [(b"x-forwarded-for", b"203.0.113.1, 10.0.0.9")]
        other_spoof = [(b"x-forwarded-for", b"203.0.113.2, 10.0.0.9")]
        first = asyncio.create_task(gate(_scope("a", client="127.0.0.1", headers=spoofed), None, _sent()[1]))
        second = asyncio.create_task(
            gate(_scope("b", client="127.0.0.1", headers=other_spoof), None, _sent()[1])
        )
        await _settle()
        assert app.entered == ["a"]  # the same real client, whatever it wrote in front
        app.release["a"].set()
        await _settle()
        app.release["b"].set()
        await asyncio.gather(first, second)

    async_to_sync(scenario)()


def test_an_address_waits_out_the_spacing_between_its_pdf_requests(settings, monkeypatch):
    """The clock is the test's: no real time passes."""
    settings.PDF_SPACING = 0.25
    import workshop.turns

    now = [1000.0]
    slept = []

    async def fake_sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    monkeypatch.setattr(workshop.turns, "monotonic", lambda: now[0])
    monkeypatch.setattr(workshop.turns, "wait", fake_sleep)

    async def quick(scope, receive, send):
        now[0] += 0.05  # the request took 50 ms

    async def scenario():
        gate = PdfsInTurn(quick)
        for _ in range(3):
            await gate(_scope("loop"), None, _sent()[1])
        await gate(_scope("elsewhere", client="10.0.0.2"), None, _sent()[1])
        await gate(_scope("page", path="/s/ABCDEF/"), None, _sent()[1])

    async_to_sync(scenario)()
    assert slept == [0.2, 0.2]  # the 2nd and 3rd waited; another address and a page did not
