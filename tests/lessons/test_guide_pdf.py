import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from lessons.models import ItemKind, LessonItem, Phase
from lessons.pdf import pdf_response, render_pdf, static_only_fetcher
from tests.factories import make_lesson


def _text(pdf_bytes: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


@pytest.fixture
def lesson():
    lesson = make_lesson()
    LessonItem.objects.create(
        lesson=lesson,
        kind=ItemKind.SAFETY,
        order=1,
        text="Remind participants to keep what is shared confidential",
    )
    Phase.objects.filter(lesson=lesson, name="Explain").update(facilitator_actions="Present the Wardley map")
    return lesson


@pytest.mark.django_db
def test_it_is_a_pdf_named_after_the_lesson(client, lesson):
    response = client.get(reverse("lessons:guide_pdf", args=[lesson.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="integration-maze-facilitator-guide.pdf"'
    assert response.content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_it_holds_the_whole_guide(client, lesson):
    response = client.get(reverse("lessons:guide_pdf", args=[lesson.slug]))
    text, pages = _text(response.content)
    assert pages >= 2
    assert "Integration Maze" in text
    assert "Facilitator guide" in text
    assert "Analyze common obstacles" in text and "Analyzing" in text
    # Run sheet with cumulative times.
    assert "Run sheet" in text
    for offset in ["0:30", "1:15", "2:00", "2:45", "3:00"]:
        assert offset in text
    for name in ["Engage", "Explore", "Explain", "Elaborate", "Evaluate"]:
        assert name in text
        assert f"{name}: learner activities." in text
        assert f"{name}: differentiation." in text
        assert f"{name}: technology." in text
    assert "Engage: facilitator actions." in text
    assert "Present the Wardley map" in text
    assert "Brainstorm wall" in text
    assert "Remind participants to keep what is shared confidential" in text
    assert "First reflection learner item" in text
    assert "First reflection facilitator item" in text
    assert "First material item" in text
    assert "Observation of group discussions" in text and "Assesses analysis in context" in text
    assert "Novice AI professionals" in text
    assert "First extension item" in text and "First virtual adaptation item" in text
    assert "First resource item" in text
    assert "Appendix: workshop materials" in text
    assert "Organizational silos" in text and "A advanced case" in text
    assert f"Page 1 of {pages}" in text


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_lesson(client):
    assert client.get(reverse("lessons:guide_pdf", args=["no-such-lesson"])).status_code == 404


@pytest.mark.django_db
def test_it_never_fetches_anything_but_our_static_files(lesson):
    fetcher = static_only_fetcher()
    css = fetcher("http://testserver/static/css/print-guide.css")
    assert b"@page" in css.read()
    for url in [
        "https://fonts.googleapis.com/css?family=Inter",
        "http://testserver/media/secret.txt",
        "file:///etc/passwd",
        "http://testserver/static/../../workshop/settings.py",
    ]:
        with pytest.raises(ValueError):
            fetcher(url)


@pytest.mark.django_db
def test_it_renders_any_template_for_other_documents(lesson):
    pdf = render_pdf("lessons/guide_pdf.html", {"lesson": lesson, "timeline": []}, base_url="http://x/")
    text, _ = _text(pdf)
    assert "Integration Maze" in text
    response = pdf_response(pdf, "plan.pdf", inline=False)
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert response["Content-Length"] == str(len(pdf))
