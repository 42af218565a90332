from django.utils.safestring import SafeString

from lessons.rendering import render_markdown


def test_it_renders_ordinary_markdown():
    html = render_markdown(
        "## Background\n\nThe team is *small* and **busy**.\n\n- Airflow\n- MLflow\n\n1. One\n"
    )

    assert "<h2>Background</h2>" in html
    assert "<em>small</em>" in html
    assert "<strong>busy</strong>" in html
    assert "<ul>\n<li>Airflow</li>\n<li>MLflow</li>\n</ul>" in html
    assert "<ol>\n<li>One</li>\n</ol>" in html


def test_it_keeps_web_links_and_adds_rel():
    html = render_markdown("Read [the FinOps framework](https://www.finops.org/framework/).")

    assert (
        '<a href="https://www.finops.org/framework/" rel="noopener noreferrer">the FinOps framework</a>'
        in html
    )


def test_it_returns_a_safe_string():
    assert isinstance(render_markdown("text"), SafeString)
    assert render_markdown("") == ""


def test_it_removes_script_tags_and_their_content():
    html = render_markdown("Before\n\n<script>alert('owned')</script>\n\nAfter")

    assert "<script" not in html
    assert "alert" not in html
    assert "Before" in html and "After" in html


def test_it_removes_event_handler_attributes():
    html = render_markdown('<img src="chart.png" onerror="alert(1)"> <p onclick="steal()">hi</p>')

    assert "onerror" not in html
    assert "onclick" not in html
    assert '<img src="chart.png">' in html


def test_it_removes_javascript_links():
    html = render_markdown('[markdown](javascript:alert(1)) and <a href="JaVaScRiPt:alert(2)">raw</a>')

    assert 'href="javascript' not in html.lower()
    assert "<a" in html  # the raw link stays, without its href


def test_it_removes_dangerous_raw_html():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style><b>ok</b>'
    )

    assert "<iframe" not in html
    assert "<style" not in html
    assert "display:none" not in html
    assert "<b>ok</b>" in html


def test_it_keeps_tables():
    html = render_markdown("| Team | Size |\n|---|---|\n| Data | 12 |\n")

    assert "<table>" in html and "<td>12</td>" in html
