"""The seed workshop end to end, in real browsers against a real daphne server, in compressed time.

The demo install (`setup_demo`: the bundled lesson, its materials, prepared polls and Explain deck, and the
facilitator account) is run by a facilitator and five learners of mixed experience and roles, each in a browser
context of their own, plus the projector. The facilitator signs in, creates the session, opens the dashboard
and the projector; learners join by typing the code and by the projector's QR link; the facilitator's clock
controls move everyone through the five phases: a brainstorm wall with votes and clusters (Engage), the
obstacle worksheet with the room's heatmap and breakout groups analysing their case studies (Explore), a
poll revealed to the room (Explain), group strategies presented on the projector (Elaborate), action plans
with peer review and each learner's PDF (Evaluate), and the session report with its PDF.

Every step asserts what a person sees on their screen. Setup writes nothing that broadcasts: everything after
`setup_demo` happens through the browsers, where pushes start in the server process, as in a real room."""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import segno
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from facilitation.addresses import is_loopback_host, machine_interfaces, reachable
from facilitation.models import LiveSession
from lessons.models import ActionPlanField, Lesson, ObstacleCategory, WorksheetItem
from tests.e2e.conftest import open_tab

pytestmark = pytest.mark.browser

PUSH = 8000  # ms: a push must arrive well within this, without a reload (a loaded 2-core machine)
PASSWORD = "whole-workshop-pw"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1400, "height": 1000}}
PROJECTOR = {"viewport": {"width": 1600, "height": 900}}
# Name, experience level, role, and how they join: by the projector's QR link or by typing the code.
LEARNERS = [
    ("Ada", "novice", "data", "qr"),
    ("Bruno", "experienced", "ml", "code"),
    ("Chen", "novice", "finance", "code"),
    ("Dalia", "experienced", "operations", "qr"),
    ("Emeka", "novice", "management", "code"),
]
NOTES = {
    "Ada": "Nobody owns the cost of a model once it is live",
    "Bruno": "Data and ML teams keep separate backlogs",
    "Chen": "Finance sees the cloud bill a month too late",
    "Dalia": "Three on-call rotations for one pipeline",
    "Emeka": "No shared language between the three Ops",
}
POLL = "Which obstacle category hurts your organization most today?"
SAVED = re.compile(r"^\W*Saved$")


# --- The QR code, read without a decoder ---------------------------------------------------------------------


def qr_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules (row, column) of a segno SVG QR code, drawn as one path of horizontal runs."""
    tag = re.search(r"<path[^>]*class=\"qrline\"[^>]*>", svg).group(0)
    path = re.search(r'\sd="([^"]+)"', tag).group(1)
    x = y = 0.0
    dark = set()
    for command, a, b in re.findall(r"([MmHh])\s*(-?[\d.]+)(?:\s+(-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a run of dark modules
            for i in range(round(float(a))):
                dark.add((int(y), round(x) + i))
            x += float(a)
    top, left = min(r for r, _ in dark), min(c for _, c in dark)  # finder patterns sit at the corners
    return {(r - top, c - left) for r, c in dark}


def encodes(svg: str, url: str) -> bool:
    """Whether the QR code drawn in `svg` is a QR code of `url` (at some error level and mask)."""
    drawn = qr_modules(svg)
    for error in "lmqh":
        for mask in range(8):
            matrix = segno.make(url, error=error, mask=mask, boost_error=False).matrix
            if drawn == {(r, c) for r, row in enumerate(matrix) for c, bit in enumerate(row) if bit & 1}:
                return True
    return False


# --- People --------------------------------------------------------------------------------------------------


def join_form(page: Page, live, code: str, name: str, experience: str, role: str) -> None:
    expect(page.locator("#id_name")).to_be_visible()
    page.fill("#id_name", name)
    page.check(f"input[name=experience][value={experience}]")
    page.select_option("#id_role", role)
    page.check("#id_acknowledge")
    page.get_by_role("button", name="Join the session").click()
    expect(page).to_have_url(f"{live.url}/s/{code}/", timeout=PUSH)
    expect(page.locator(".learner-header .who")).to_have_text(name, timeout=PUSH)
    page.evaluate("window.__sameDocument = true")  # lives as long as the document: proves no reload


def same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def next_phase(dashboard: Page, name: str, learners: dict[str, Page], projector: Page) -> None:
    """The facilitator's real clock control; every learner and the projector follow without a reload."""
    dashboard.get_by_role("button", name=f"Next: {name} →").click()
    expect(dashboard.locator("#clock-title")).to_have_text(name, timeout=PUSH)
    for page in learners.values():
        expect(page.locator("#learner-phase h1")).to_have_text(name, timeout=PUSH)
    expect(projector.locator("#projector-clock .phase-name")).to_have_text(name, timeout=PUSH)


def note(page: Page, text: str):
    return page.locator(".note", has_text=text)


def ws_item(page: Page, prompt: str):
    return page.locator("form[data-ws-item]", has=page.locator(".ws-prompt", has_text=prompt))


def group_field(page: Page, key: str):
    return page.locator(f"form[data-gfield][id$='-{key}'] textarea")


def group_saved(page: Page, key: str):
    return page.locator(f"form[data-gfield][id$='-{key}'] .gfield-status")


def pdf_text(response) -> str:
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


# --- Q&A, and what is left after "Delete learner data" ------------------------------------------------------

QUESTIONS = {
    "Ada": "Who pays for a model's cloud bill once it is live?",
    "Chen": "How do finance and ML agree on one cost number?",
}


def ask_and_upvote(learners: dict[str, Page], dashboard: Page) -> None:
    """Two learners ask during Explain, everyone else upvotes both (4 + 4); the facilitator pins the first and
    marks the second answered."""
    for name, text in QUESTIONS.items():
        page = learners[name]
        page.fill("#explain-question-text", text)
        page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.locator("#explain-ask-status")).to_have_text(
            "Sent. Everyone can upvote it now.", timeout=PUSH
        )
    for name, page in learners.items():
        for asker, text in QUESTIONS.items():
            if asker == name:
                continue
            button = page.locator("#explain-learner-questions .question", has_text=text).locator(
                "[data-upvote-button]"
            )
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true", timeout=PUSH)
    staff = dashboard.locator("#explain-questions")
    for text in QUESTIONS.values():
        expect(staff.locator(".question", has_text=text)).to_contain_text("▲ 4", timeout=PUSH)
    staff.locator(".question", has_text=QUESTIONS["Ada"]).get_by_role(
        "button", name="Pin to projector"
    ).click()
    expect(
        staff.locator(".question", has_text=QUESTIONS["Ada"]).get_by_role("button", name="Unpin")
    ).to_be_visible(timeout=PUSH)
    staff.locator(".question", has_text=QUESTIONS["Chen"]).get_by_role("button", name="Mark answered").click()
    expect(
        staff.locator(".question", has_text=QUESTIONS["Chen"]).get_by_role("button", name="Reopen")
    ).to_be_visible(timeout=PUSH)


def csv_rows(page: Page, url: str) -> list[dict]:
    response = page.context.request.get(url)
    assert response.ok and response.headers["content-type"].startswith("text/csv"), url
    return list(csv.DictReader(io.StringIO(response.text())))


def check_questions_in_report(dashboard: Page, live, code: str, slide_title: str) -> None:
    """Every question in the report, under the slide it was asked on, and in the `questions` dataset."""
    qa = dashboard.locator(".report section[aria-labelledby=r-questions]")
    expect(qa).to_contain_text("2 questions, 8 upvotes")
    expect(qa.locator("h3", has_text=slide_title)).to_be_visible()
    expect(qa.locator("li", has_text=QUESTIONS["Ada"])).to_contain_text("(▲ 4 · pinned)")
    expect(qa.locator("li", has_text=QUESTIONS["Chen"])).to_contain_text("(▲ 4 · answered)")
    rows = {r["text"]: r for r in csv_rows(dashboard, f"{live.url}/facilitate/{code}/report/questions.csv")}
    assert set(rows) == set(QUESTIONS.values())
    ada, chen = rows[QUESTIONS["Ada"]], rows[QUESTIONS["Chen"]]
    assert (ada["slide"], ada["upvotes"], ada["pinned"], ada["answered"]) == (slide_title, "4", "yes", "no")
    assert (chen["upvotes"], chen["pinned"], chen["answered"]) == ("4", "no", "yes")
    assert ada["author"] == chen["author"] == ""  # asked anonymously


def _database_texts(session) -> str:
    """Every text and JSON value in every table of the live-session app, one string to search."""
    from django.apps import apps
    from django.db import models

    chunks = []
    for model in apps.get_app_config("facilitation").get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for values in model.objects.values_list(*fields) if fields else ():
            chunks.extend(str(v) for v in values)
    return "\n".join(chunks)


def delete_learner_data_and_find_nothing_left(
    dashboard: Page, live, code: str, learners: dict[str, Page], texts: list[str], screenshot
) -> None:
    """The facilitator deletes the learner data; then no learner text is in any table, the report, any CSV
    dataset or the report's PDF, and a learner who reloads is told what happened."""
    from facilitation import retention

    dashboard.goto(f"{live.url}/facilitate/{code}/data/")
    inventory = dashboard.locator("table.report-table")
    expect(inventory.locator("tr", has_text="Q&A questions").locator("td").first).to_have_text("2")
    expect(inventory.locator("tr", has_text="Learners:").locator("td").first).to_have_text("5")
    screenshot(dashboard, "learner-data-before")
    dashboard.fill("#confirm-delete", code)
    dashboard.get_by_role("button", name="Delete learner data").click()
    expect(dashboard.locator(".message.success")).to_contain_text(
        "Deleted the data of 5 learners", timeout=PUSH
    )
    expect(inventory.locator("tbody td:nth-child(2)")).to_have_text(["0"] * len(retention.learner_data()))
    screenshot(dashboard, "learner-data-deleted")

    session = LiveSession.objects.get(code=code)
    left = {entry.label: entry.rows(session).count() for entry in retention.learner_data()}
    assert not any(left.values()), left
    names = re.compile(r"\b(" + "|".join(learners) + r")\b")
    places = {"database": _database_texts(session)}
    places["report"] = dashboard.context.request.get(f"{live.url}/facilitate/{code}/report/?names=1").text()
    dashboard.goto(f"{live.url}/facilitate/{code}/report/")
    datasets = dashboard.locator(".datasets a").evaluate_all("links => links.map(a => a.href)")
    assert len(datasets) >= 14
    for url in datasets:
        places[url.rsplit("/", 1)[-1]] = dashboard.context.request.get(url).text()
    pdf_href = dashboard.get_by_role("link", name="Download PDF").get_attribute("href")
    places["report.pdf"] = re.sub(r"\s+", " ", pdf_text(dashboard.context.request.get(live.url + pdf_href)))
    for where, body in places.items():
        assert not names.search(body), (where, names.search(body).group(0))
        for text in texts:
            assert text not in body, (where, text)
    assert "Planned vs actual time" in places["report"]  # the timing stays

    # A learner's page still open is told at once (pushed); one who reloads reads the same.
    bruno = learners["Bruno"]
    expect(bruno.get_by_role("heading", level=1)).to_have_text(
        "This session's learner data was deleted", timeout=PUSH
    )
    assert same_document(bruno)
    ada = learners["Ada"]
    ada.reload()
    expect(ada.get_by_role("heading", level=1)).to_have_text("This session's learner data was deleted")
    screenshot(ada, "learner-data-deleted-phone")


def test_the_seed_workshop_runs_end_to_end_with_a_facilitator_and_five_learners(
    live, person, screenshot, settings
):
    settings.FACILITATOR_PASSWORD = PASSWORD
    call_command("setup_demo", verbosity=0, stdout=io.StringIO())
    lesson = Lesson.objects.get()
    categories = {c.slug: c.name for c in ObstacleCategory.objects.filter(lesson=lesson)}
    silos_item, cost_item = (
        WorksheetItem.objects.filter(category__lesson=lesson, category__slug=slug, order=0).get().prompt
        for slug in ("organizational-silos", "cost-visibility")
    )
    items_total = WorksheetItem.objects.filter(category__lesson=lesson).count()
    required = list(
        ActionPlanField.objects.filter(lesson=lesson, required=True).values_list("key", flat=True)
    )

    # ---- The facilitator signs in with the demo account and creates a session from the bundled lesson.
    dashboard = person(**LAPTOP)
    dashboard.goto(f"{live.url}/")
    dashboard.locator("#main").get_by_role("link", name="Facilitator sign-in").click()
    dashboard.fill("#id_username", "facilitator")
    dashboard.fill("#id_password", PASSWORD)
    dashboard.get_by_role("button", name="Sign in").click()
    expect(dashboard).to_have_url(f"{live.url}/facilitate/", timeout=PUSH)
    dashboard.select_option("#id_lesson", label=lesson.title)
    dashboard.fill("#id_title", "Integration Maze — whole workshop")
    dashboard.get_by_role("button", name="Create session").click()
    expect(dashboard.get_by_role("heading", level=1)).to_have_text(
        "Integration Maze — whole workshop", timeout=PUSH
    )
    code = dashboard.locator(".join-chip .code").inner_text()
    expect(dashboard).to_have_url(f"{live.url}/facilitate/{code}/", timeout=PUSH)
    expect(dashboard.locator("#participants")).to_contain_text("Nobody has joined yet")

    # ---- The projector: the dashboard's own link, on the facilitator's second screen.
    projector_href = dashboard.get_by_role("link", name="Open projector view").get_attribute("href")
    assert projector_href == f"/facilitate/{code}/projector/"
    projector = person(storage_state=dashboard.context.storage_state(), **PROJECTOR)
    projector.goto(live.url + projector_href)
    expect(projector.locator(".join-code")).to_have_text(code)
    expect(projector.locator("#projector-people")).to_have_text("0 joined")
    projector.evaluate("window.__sameDocument = true")
    join_url = projector.locator(".projector-join .join-label strong").inner_text()
    assert urlsplit(join_url).path == f"/join/{code}/"
    # Opened on the loopback address, the projector names one phones can reach: this machine's best network
    # address when it has one (only read here, never connected to), else the loopback one with a warning.
    lan = [item.address for item in reachable(machine_interfaces())]
    if lan:
        assert urlsplit(join_url).hostname == lan[0] and not is_loopback_host(urlsplit(join_url).hostname)
        expect(projector.locator(".join-warning")).to_have_count(0)
    else:
        expect(projector.locator(".join-warning")).to_contain_text("Phones can't open this address")
    # The QR codes (inline on the projector, and the image the dashboard links) encode that very address.
    assert encodes(projector.locator(".qr svg").evaluate("svg => svg.outerHTML"), join_url)
    qr_src = dashboard.locator(".join-card img.qr-small").get_attribute("src")
    qr = dashboard.context.request.get(live.url + qr_src)
    assert qr.ok and qr.headers["content-type"] == "image/svg+xml"
    assert encodes(qr.text(), join_url)
    expect(dashboard.locator(".join-card")).to_contain_text(join_url)
    screenshot(projector, "projector-join")

    # ---- Learners join: some follow the QR link, the others type the code at /join/.
    # The join address names this machine's LAN address when it has one; the test server listens on
    # 127.0.0.1 only, so a phone "on the LAN" is the same path on the loopback address.
    qr_target = join_url if urlsplit(join_url).hostname == "127.0.0.1" else live.url + urlsplit(join_url).path
    learners: dict[str, Page] = {}
    for name, experience, role, how in LEARNERS:
        page = person(**PHONE)
        if how == "qr":
            page.goto(qr_target)
        else:
            page.goto(f"{live.url}/join/")
            page.fill("#id_code", code.lower())
            page.get_by_role("button", name="Continue").click()
        join_form(page, live, code, name, experience, role)
        expect(page.locator("#learner-phase h1")).to_have_text("You're in!", timeout=PUSH)
        learners[name] = page
    ada, bruno, chen, dalia, emeka = learners.values()
    expect(dashboard.locator("#participants .count")).to_have_text("5 online · 5 joined", timeout=PUSH)
    expect(dashboard.locator("#participants li", has_text="Bruno")).to_contain_text("Experienced AI leaders")
    expect(dashboard.locator("#participants li", has_text="Chen")).to_contain_text("Novice AI professionals")
    expect(projector.locator("#projector-people")).to_have_text("5 joined", timeout=PUSH)
    screenshot(ada, "learner-waiting")
    screenshot(dashboard, "dashboard-before-start")

    # ==== Engage: the brainstorm wall. ====================================================================
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage", timeout=PUSH)
    for page in learners.values():
        expect(page.locator("#learner-phase h1")).to_have_text("Engage", timeout=PUSH)
        expect(page.locator("#wall-note-text")).to_be_visible(timeout=PUSH)
    expect(projector.locator("#projector-clock .phase-name")).to_have_text("Engage", timeout=PUSH)
    question = "What keeps DataOps, MLOps and FinOps from working together where you work?"
    dashboard.fill("#wall-prompt-input", question)
    dashboard.get_by_role("button", name="Set question").click()
    for page in [*learners.values(), projector]:
        expect(page.locator(".wall-prompt")).to_have_text(question, timeout=PUSH)

    colours = dict(zip(learners, ["Pink", "Blue", "Yellow", "Green", "Blue"], strict=True))
    for name, page in learners.items():
        page.fill("#wall-note-text", NOTES[name])
        page.locator(".wall-colours label", has_text=colours[name]).click()
        page.get_by_role("button", name="Post note").click()
        expect(page.locator("#wall-compose-status")).to_have_text("Posted to the wall.", timeout=PUSH)
        expect(page.locator("#wall-note-text")).to_have_value("", timeout=PUSH)
    # Every note reaches every other learner, the projector and the dashboard, live; no author is shown.
    for page in [*learners.values(), projector, dashboard]:
        expect(page.locator(".note")).to_have_count(len(NOTES), timeout=PUSH)
    for text in NOTES.values():
        expect(note(projector, text)).to_be_visible()
        expect(note(ada, text)).to_be_visible()
    for page in [*learners.values(), projector]:
        region = page.locator("#learner-wall, #projector-wall").first.inner_html()
        assert not any(name in region for name in NOTES), "the wall is anonymous for learners and projector"

    # Dot voting: two votes each.
    dashboard.fill("#wall-votes", "2")
    dashboard.get_by_role("button", name="Open voting").click()
    for page in learners.values():
        expect(page.locator("[data-votes-left]")).to_have_text("2 of 2 votes left", timeout=PUSH)
    votes = {
        "Ada": [NOTES["Chen"], NOTES["Bruno"]],
        "Bruno": [NOTES["Chen"], NOTES["Ada"]],
        "Chen": [NOTES["Ada"], NOTES["Dalia"]],
        "Dalia": [NOTES["Chen"], NOTES["Emeka"]],
        "Emeka": [NOTES["Chen"]],
    }
    for name, texts in votes.items():
        for text in texts:
            button = note(learners[name], text).locator("[data-vote-button]")
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true", timeout=PUSH)
        left = 2 - len(texts)
        expect(learners[name].locator("[data-votes-left]")).to_have_text(
            f"{left} of 2 votes left", timeout=PUSH
        )
    for page in (projector, dashboard, emeka):
        expect(note(page, NOTES["Chen"]).locator(".vote-count")).to_have_text("4 votes", timeout=PUSH)
        expect(note(page, NOTES["Ada"]).locator(".vote-count")).to_have_text("2 votes", timeout=PUSH)
    screenshot(bruno, "learner-wall-voting")

    # The facilitator clusters the notes with the keyboard-accessible "Move to cluster" menu.
    for cluster in ("Ownership and cost", "Team boundaries"):
        dashboard.fill("#wall-new-cluster", cluster)
        dashboard.get_by_role("button", name="Add cluster").click()
        expect(dashboard.locator("#wall-board .cluster-name", has_text=cluster)).to_be_visible(timeout=PUSH)
    for text, cluster in (
        (NOTES["Ada"], "Ownership and cost"),
        (NOTES["Chen"], "Ownership and cost"),
        (NOTES["Bruno"], "Team boundaries"),
        (NOTES["Dalia"], "Team boundaries"),
    ):
        move = note(dashboard, text).locator(".note-move")
        move.locator("select").select_option(label=cluster)
        move.get_by_role("button", name="Move").click()
        board_cluster = dashboard.locator("#wall-board [data-drop-cluster]").filter(
            has=dashboard.locator(".cluster-name", has_text=cluster)
        )
        expect(board_cluster.locator(".note", has_text=text)).to_be_visible(timeout=PUSH)
    dashboard.get_by_role("button", name="Sort by votes").click()
    for page in (projector, dalia):
        ownership = page.locator(".wall-cluster", has_text="Ownership and cost")
        expect(ownership).to_contain_text(NOTES["Chen"], timeout=PUSH)
        expect(ownership).to_contain_text(NOTES["Ada"], timeout=PUSH)
        expect(page.locator(".wall-cluster", has_text="Team boundaries")).to_contain_text(
            NOTES["Dalia"], timeout=PUSH
        )
    expect(projector.locator(".wall-projector-meta")).to_contain_text("most votes first", timeout=PUSH)
    screenshot(projector, "projector-engage-wall")
    screenshot(dalia, "learner-engage-wall")
    screenshot(dashboard, "dashboard-engage")

    # ==== Explore: the obstacle worksheet and the room's heatmap. ===========================================
    next_phase(dashboard, "Explore", learners, projector)
    for page in learners.values():
        expect(page.locator("#learner-worksheet form[data-ws-item]")).to_have_count(items_total, timeout=PUSH)
        expect(page.locator("#ws-progress")).to_contain_text(f"0 of {items_total} answered")
        expect(page.locator("#learner-wall")).to_be_hidden()
    expect(ws_item(ada, silos_item).locator(".ws-example")).to_be_visible()  # novices: examples
    expect(ws_item(bruno, silos_item).locator(".ws-deeper")).to_be_visible()  # experienced: deeper prompts
    ratings = {"Ada": (4, 3), "Bruno": (5, 4), "Chen": (4, 5), "Dalia": (3, 4), "Emeka": (4, 2)}
    for name, (silos, cost) in ratings.items():
        ws_item(learners[name], silos_item).locator(f".ws-level-{silos}").click()
        ws_item(learners[name], cost_item).locator(f".ws-level-{cost}").click()
    for page in learners.values():
        for prompt in (silos_item, cost_item):
            expect(ws_item(page, prompt).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    ws_item(chen, silos_item).locator("textarea").fill("Finance learns about new models from the invoice.")
    ws_item(chen, silos_item).locator("textarea").press("End")
    expect(ws_item(chen, silos_item).locator(".ws-status")).to_have_text(SAVED, timeout=PUSH)
    expect(chen.locator("#ws-progress")).to_contain_text(f"2 of {items_total} answered", timeout=PUSH)
    open_tab(dashboard, "Worksheet")
    panel = dashboard.locator("#worksheet-panel")
    expect(panel.locator(".ws-respondents")).to_have_text("5 respondents", timeout=PUSH)
    room = panel.locator(".ws-view[data-view=room] tbody tr")
    silos_row = room.filter(has=dashboard.locator("th", has_text=categories["organizational-silos"]))
    cost_row = room.filter(has=dashboard.locator("th", has_text=categories["cost-visibility"]))
    expect(silos_row.locator("td").nth(3).locator(".ws-count")).to_have_text("3", timeout=PUSH)  # three 4s
    expect(cost_row.locator("td").nth(3).locator(".ws-count")).to_have_text("2", timeout=PUSH)  # two 4s
    expect(panel.locator(".ws-completion li", has_text="Emeka")).to_contain_text(
        f"2/{items_total}", timeout=PUSH
    )
    panel.get_by_role("button", name="Show heatmap on projector").click()
    expect(projector.locator("#projector-worksheet")).to_be_visible(timeout=PUSH)
    expect(projector.locator("#projector-worksheet .ws-projector-meta")).to_contain_text(
        "5 people have answered", timeout=PUSH
    )
    assert "Emeka" not in projector.locator("#projector-worksheet").inner_html()
    screenshot(chen, "learner-explore-worksheet")
    screenshot(projector, "projector-explore-heatmap")
    panel.get_by_role("button", name="Hide from projector").click()
    expect(projector.locator("#projector-worksheet")).to_be_hidden(timeout=PUSH)

    # ---- Breakout groups with case studies: mixed experience, two groups.
    open_tab(dashboard, "Groups now")
    groups = dashboard.locator("#groups-panel")
    groups.locator("#groups-strategy").select_option("mixed")
    groups.locator("input[name=by][value=count]").check()
    groups.locator("#groups-number").fill("2")
    groups.get_by_role("button", name="Form groups").click()
    expect(groups.locator(".group-card")).to_have_count(2, timeout=PUSH)
    expect(groups.locator(".group-card-members li")).to_have_count(5, timeout=PUSH)
    rooms: dict[str, str] = {}
    for name, page in learners.items():
        expect(page.locator("#group-room")).to_be_visible(timeout=PUSH)
        rooms[name] = page.locator("#group-room-title").inner_text()
        card = groups.locator(".group-card", has=dashboard.locator(f"input[value='{rooms[name]}']"))
        expect(card.locator(".group-card-members")).to_contain_text(name, timeout=PUSH)
        # Each learner reads the case study the facilitator sees assigned to their group.
        case_title = page.locator("#group-room .case-title").inner_text()
        expect(card.locator(".group-card-case")).to_contain_text(case_title)
        expect(page.locator("#group-room .case-scenario")).not_to_be_empty()
    assert sorted(set(rooms.values())) == ["Group 1", "Group 2"]
    assert rooms["Bruno"] != rooms["Dalia"], "mixed groups spread the experienced learners"
    members = {group: [n for n in learners if rooms[n] == group] for group in sorted(set(rooms.values()))}
    analyses = {}
    for group, names in members.items():
        writer, reader = learners[names[0]], learners[names[1]]
        analyses[group] = f"{group}: nobody owns the handoff between the pipeline and the model."
        group_field(writer, "evidence").fill(analyses[group])
        expect(group_saved(writer, "evidence")).to_have_text("Saved", timeout=PUSH)
        expect(group_field(reader, "evidence")).to_have_value(analyses[group], timeout=PUSH)
    other = members["Group 2"][0]
    expect(group_field(learners[other], "evidence")).to_have_value(analyses["Group 2"])  # its own group's
    for group in members:
        card = groups.locator(".group-card", has=dashboard.locator(f"input[value='{group}']"))
        expect(card.locator(".group-progress")).to_contain_text("1/4", timeout=PUSH)
    learners[members["Group 1"][1]].locator("#group-room").scroll_into_view_if_needed()
    screenshot(learners[members["Group 1"][1]], "learner-explore-group-case")
    screenshot(dashboard, "dashboard-explore")

    # ==== Explain: the deck, and a poll opened, answered and revealed. ======================================
    next_phase(dashboard, "Explain", learners, projector)
    for page in learners.values():
        expect(page.locator("#explain-learner-slide .explain-title")).to_have_text(
            "From what you found to why it happens", timeout=PUSH
        )
    slide_title = ada.locator("#explain-learner-slide .explain-title").inner_text()
    ask_and_upvote(learners, dashboard)
    open_tab(dashboard, "Polls")
    dashboard.locator(".poll-prepared li", has_text=POLL).get_by_role("button", name="Open now").click()
    card = dashboard.locator(".poll-card", has_text=POLL)
    expect(card.locator(".poll-status")).to_have_text("Open", timeout=PUSH)
    for page in learners.values():
        expect(page.locator(".poll-learner h2")).to_have_text(POLL, timeout=PUSH)
    expect(projector.locator(".projector-poll h2")).to_have_text(POLL, timeout=PUSH)
    choices = {
        "Ada": "organizational-silos",
        "Bruno": "cost-visibility",
        "Chen": "organizational-silos",
        "Dalia": "cost-visibility",
        "Emeka": "organizational-silos",
    }
    for name, slug in choices.items():
        learners[name].get_by_label(categories[slug], exact=True).check()
        learners[name].get_by_role("button", name="Send answer").click()
        expect(learners[name].locator(".poll-saved")).to_be_visible(timeout=PUSH)
    expect(card.locator(".poll-total")).to_contain_text("5 answers", timeout=PUSH)
    expect(projector.locator(".projector-poll-count")).to_contain_text("5 answers so far", timeout=PUSH)
    expect(ada.locator(".poll-bars")).to_have_count(0)  # hidden until revealed
    screenshot(ada, "learner-explain-poll-answered")
    card.get_by_role("button", name="Reveal results").click()
    silos_bar = projector.locator(".projector-poll .poll-bar", has_text=categories["organizational-silos"])
    expect(silos_bar).to_contain_text("3 · 60%", timeout=PUSH)
    for page in learners.values():
        expect(page.locator(".poll-bar", has_text=categories["cost-visibility"])).to_contain_text(
            "2 · 40%", timeout=PUSH
        )
    screenshot(projector, "projector-explain-poll-results")
    screenshot(emeka, "learner-explain-poll-results")
    screenshot(dashboard, "dashboard-explain")
    card.get_by_role("button", name="Close poll").click()
    expect(ada.locator(".poll-closed")).to_contain_text("This poll is closed.", timeout=PUSH)

    # ==== Elaborate: groups write strategies; the facilitator presents each on the projector. ==============
    next_phase(dashboard, "Elaborate", learners, projector)
    strategies = {}
    for group, names in members.items():
        writer, reader = learners[names[-1]], learners[names[0]]
        expect(writer.locator(".group-strategy")).to_be_visible(timeout=PUSH)
        strategies[group] = f"{group}: one owner per AI use case, with a shared data-ML-finance backlog."
        group_field(writer, "strategy").fill(strategies[group])
        group_field(reader, "first_steps").fill(f"{group}: name owners for the top three models.")
        expect(group_saved(writer, "strategy")).to_have_text("Saved", timeout=PUSH)
        expect(group_saved(reader, "first_steps")).to_have_text("Saved", timeout=PUSH)
        expect(group_field(reader, "strategy")).to_have_value(strategies[group], timeout=PUSH)
    screenshot(learners[members["Group 1"][0]], "learner-elaborate-strategy")
    groups.get_by_role("button", name="Present strategies on projector").click()
    expect(projector.locator(".present-name")).to_have_text("Group 1", timeout=PUSH)
    expect(projector.locator(".present-strategy")).to_contain_text(strategies["Group 1"])
    expect(projector.locator(".present-strategy")).to_contain_text("name owners for the top three models")
    screenshot(projector, "projector-elaborate-presenting")
    groups.get_by_role("button", name="Present next group →").click()
    expect(projector.locator(".present-name")).to_have_text("Group 2", timeout=PUSH)
    expect(projector.locator(".present-strategy")).to_contain_text(strategies["Group 2"])
    screenshot(dashboard, "dashboard-elaborate")

    # ==== Evaluate: action plans, peer review, PDFs. =======================================================
    next_phase(dashboard, "Evaluate", learners, projector)
    evaluate = dashboard.locator("#evaluate-panel")
    for page in learners.values():
        expect(page.locator("#plan-form")).to_be_visible(timeout=PUSH)
    for name, page in learners.items():
        for key in required:
            page.fill(f"#plan-{key}", f"{name}: {key} of my plan.")
    for page in learners.values():
        for key in required:
            expect(page.locator(f"#plan-state-{key}")).to_have_attribute("data-state", "saved", timeout=PUSH)
        page.get_by_role("button", name="Submit my plan").click()
        expect(page.locator(".plan-submitted")).to_contain_text("Submitted", timeout=PUSH)
    screenshot(ada, "learner-evaluate-plan-submitted")
    expect(evaluate.locator(".evaluate-summary")).to_contain_text("5 of 5 plans submitted", timeout=PUSH)
    dashboard.select_option("#evaluate-k", "1")
    dashboard.get_by_role("button", name="Allocate reviewers").click()
    expect(evaluate.locator(".evaluate-summary")).to_contain_text("0 of 5 reviews done", timeout=PUSH)

    # Each learner writes the one review they were given, in a second tab: the live page stays open.
    for name, page in learners.items():
        links = page.locator("#evaluate-my-reviews a")
        expect(links).to_have_count(1, timeout=PUSH)
        review = page.context.new_page()
        review.goto(live.url + links.first.get_attribute("href"))
        for criterion in review.locator("fieldset.rubric-criterion").all():
            criterion.locator(".rubric-option", has_text="4 ·").click()
        review.fill("#id_strengths", f"{name} likes the clear first step.")
        review.fill("#id_suggestion", f"{name} suggests a measurable milestone.")
        if name == "Ada":
            screenshot(review, "learner-evaluate-review-form")
        review.get_by_role("button", name="Submit my review").click()
        expect(review.locator(".message.success")).to_contain_text("your review is saved", timeout=PUSH)
        review.close()
        expect(page.locator("#evaluate-feedback")).to_contain_text(
            "when the facilitator releases them", timeout=PUSH
        )
    expect(evaluate.locator(".evaluate-summary")).to_contain_text("5 of 5 reviews done", timeout=PUSH)
    screenshot(dashboard, "dashboard-evaluate")

    # Released: each author reads the review they received, live, and it is never their own.
    dashboard.get_by_role("button", name="Release reviews to authors").click()
    reviewer_of = {}
    for name, page in learners.items():
        feedback = page.locator("#evaluate-feedback")
        expect(feedback).to_contain_text("likes the clear first step", timeout=PUSH)
        expect(feedback).not_to_contain_text(f"{name} likes")
        reviewer_of[name] = re.search(r"(\w+) likes the clear first step", feedback.inner_text()).group(1)
    assert sorted(reviewer_of.values()) == sorted(learners), "everyone gave one review and received one"
    screenshot(chen, "learner-evaluate-feedback")

    # Each learner's action-plan PDF: their own plan and the review they received, nobody else's plan.
    for name, page in learners.items():
        text = pdf_text(page.context.request.get(f"{live.url}/s/{code}/plan.pdf"))
        assert f"{name}: goal of my plan." in text
        assert f"{reviewer_of[name]} suggests a measurable milestone." in text
        assert not any(f"{other}: goal of my plan." in text for other in learners if other != name)

    # ---- The session ends for everyone.
    dashboard.on("dialog", lambda dialog: dialog.accept())
    dashboard.get_by_role("button", name="End session").click()
    expect(dashboard.locator(".ended-note")).to_be_visible(timeout=PUSH)
    for page in learners.values():
        expect(page.locator("#learner-phase h1")).to_have_text("Thank you for taking part", timeout=PUSH)
    expect(projector.locator("#projector-clock .phase-name")).to_have_text(
        "Thank you — this session has ended", timeout=PUSH
    )
    assert same_document(projector), "the projector followed the whole workshop without a reload"
    assert all(same_document(page) for page in learners.values()), "so did every learner's page"
    screenshot(projector, "projector-ended")

    # ==== The session report: counts and content, on the page and in its PDF. ==============================
    dashboard.get_by_role("link", name="Report").click()
    expect(dashboard).to_have_url(f"{live.url}/facilitate/{code}/report/", timeout=PUSH)
    report = dashboard.locator(".report")
    attendance = report.locator("section[aria-labelledby=r-attendance]")
    expect(attendance).to_contain_text("5 learners joined.")
    # Joins over time: everybody counted by the end, at a time the session reached.
    expect(attendance.locator(".attendance-chart li .count").last).to_have_text("5")
    session = LiveSession.objects.get(code=code)
    first_join = session.participants.order_by("joined_at").first().joined_at
    reached = {
        timezone.localtime(first_join + timedelta(minutes=m)).strftime("%H:%M")
        for m in range(int((session.ended_at - first_join).total_seconds() // 60) + 2)
    }
    assert attendance.locator(".attendance-chart li .when").last.inner_text() in reached
    wall = report.locator("section[aria-labelledby=r-wall]")
    expect(wall).to_contain_text("5 notes")
    expect(wall.locator("h3", has_text="Ownership and cost")).to_contain_text("2 notes · 6 votes")
    expect(wall).to_contain_text(f"{NOTES['Chen']} (4 votes)")
    expect(wall.locator("h3", has_text="Not clustered")).to_contain_text("1 note · 1 vote")
    polls = report.locator("section[aria-labelledby=r-polls]")
    expect(polls.locator("h3", has_text=POLL)).to_contain_text("5 answers")
    expect(polls.locator("tr", has_text=categories["organizational-silos"]).locator("td")).to_have_text(
        ["3", "60%"]
    )
    heatmap = report.locator("section[aria-labelledby=r-heatmap]")
    expect(heatmap).to_contain_text("5 learners answered.")
    breakout = report.locator("section[aria-labelledby=r-groups]")
    for group in members:
        expect(breakout).to_contain_text(analyses[group])
        expect(breakout).to_contain_text(strategies[group])
    plans = report.locator("section[aria-labelledby=r-plans]")
    expect(plans).to_contain_text("5 plans submitted, 0 drafts, of 5 learners")
    expect(plans).to_contain_text("reviews written 5 of 5 assigned")
    expect(report).not_to_contain_text("Bruno")  # learners anonymised unless the facilitator asks for names
    screenshot(dashboard, "report")

    pdf_href = dashboard.get_by_role("link", name="Download PDF").get_attribute("href")
    text = pdf_text(dashboard.context.request.get(live.url + pdf_href))
    assert "Integration Maze — whole workshop" in text
    assert "5 learners joined." in text
    assert POLL in text
    assert strategies["Group 1"][:40] in re.sub(r"\s+", " ", text)

    check_questions_in_report(dashboard, live, code, slide_title)
    texts = [*NOTES.values(), *QUESTIONS.values(), *analyses.values(), *strategies.values()]
    texts += [
        "of my plan.",
        "likes the clear first step",
        "suggests a measurable milestone",
        "from the invoice",
    ]
    delete_learner_data_and_find_nothing_left(dashboard, live, code, learners, texts, screenshot)


def test_a_note_posted_while_the_wall_refreshes_is_confirmed_once(live, person):
    """A phase change or a reconnect brings the learner's whole wall again. A note whose post is in flight at
    that moment must still be confirmed and its text cleared, or the learner posts it a second time."""
    from facilitation.models import Note
    from tests.factories import make_lesson, make_session, make_user

    facilitator = make_user()
    code = make_session(lesson=make_lesson(), owner=facilitator).code
    dashboard = person(**LAPTOP)
    dashboard.goto(f"{live.url}/accounts/login/")
    dashboard.fill("#id_username", facilitator.username)
    dashboard.fill("#id_password", facilitator.raw_password)
    dashboard.get_by_role("button", name="Sign in").click()
    dashboard.goto(f"{live.url}/facilitate/{code}/")
    dashboard.get_by_role("button", name="Start session").click()
    expect(dashboard.locator("#clock-title")).to_have_text("Engage", timeout=PUSH)
    ada = person(**PHONE)
    ada.goto(f"{live.url}/join/{code}/")
    join_form(ada, live, code, "Ada", "novice", "data")
    expect(ada.locator("#wall-note-text")).to_be_visible(timeout=PUSH)
    ada.wait_for_load_state("networkidle")  # the socket's first resync is done

    held = []
    ada.route(re.compile(r"/wall/notes/$"), lambda route: held.append(route))
    ada.fill("#wall-note-text", "Posted during a refresh")
    with ada.expect_request(re.compile(r"/wall/notes/$")):
        ada.get_by_role("button", name="Post note").click()
    # The wall refreshes while the post is on its way (as on a phase change): its whole region is swapped.
    ada.evaluate(
        """() => document.addEventListener('htmx:oobAfterSwap', event => {
             if (event.target.id === 'learner-wall') window.__wallRefreshed = true;
           })"""
    )
    ada.evaluate("window.phasewise.resync(true)")
    ada.wait_for_function("() => window.__wallRefreshed === true")
    assert held, "the post is held until the wall has refreshed"
    held[0].continue_()
    expect(ada.locator("#wall-compose-status")).to_have_text("Posted to the wall.", timeout=PUSH)
    expect(ada.locator("#wall-note-text")).to_have_value("", timeout=PUSH)
    expect(note(ada, "Posted during a refresh")).to_have_count(1, timeout=PUSH)
    assert Note.objects.filter(text="Posted during a refresh").count() == 1
