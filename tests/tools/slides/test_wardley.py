"""The Wardley map: geometry (pure) and the SVG drawn from it, parsed as XML."""

import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from facilitation.tools.slides import wardley

SVG = "{http://www.w3.org/2000/svg}"


def parts(components, dependencies, highlight=None):
    layout = wardley.layout(components, dependencies, highlight)
    html = render_to_string(
        "facilitation/tools/slides/wardley.html",
        {"layout": layout, "map": {"title": "A map", "notes": ""}, "svg_id": "m"},
    )
    svg_text = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    return layout, html, ET.fromstring(svg_text)


def dots(svg):
    return {
        g.get("data-component"): g.find(f"{SVG}circle[@class='dot']")
        for g in svg.iter(f"{SVG}g")
        if g.get("data-component")
    }


A = wardley.Component(1, "Product", visibility=1.0, evolution=0.5)
B = wardley.Component(2, "Platform", visibility=0.25, evolution=0.0)
C = wardley.Component(3, "Compute", visibility=0.0, evolution=1.0, evolves_to=None)


def test_it_maps_evolution_to_x_and_visibility_to_y():
    assert wardley.x_for(0) == wardley.LEFT
    assert wardley.x_for(1) == wardley.WIDTH - wardley.RIGHT
    assert wardley.y_for(1) == wardley.TOP
    assert wardley.y_for(0) == wardley.HEIGHT - wardley.BOTTOM
    assert wardley.x_for(1.7) == wardley.x_for(1) and wardley.y_for(-3) == wardley.y_for(0)


@pytest.mark.parametrize(
    ("evolution", "stage"), [(0.0, "Genesis"), (0.3, "Custom"), (0.6, "Product"), (1.0, "Commodity")]
)
def test_it_names_the_stage_of_an_evolution(evolution, stage):
    assert wardley.stage_of(evolution) == stage


def test_it_places_each_component_where_its_coordinates_say():
    _, _, svg = parts([A, B, C], [])
    found = dots(svg)
    left, top = wardley.LEFT, wardley.TOP
    width = wardley.WIDTH - wardley.LEFT - wardley.RIGHT
    height = wardley.HEIGHT - wardley.TOP - wardley.BOTTOM
    for component in (A, B, C):
        circle = found[component.name]
        assert float(circle.get("cx")) == pytest.approx(left + component.evolution * width, abs=0.1)
        assert float(circle.get("cy")) == pytest.approx(top + (1 - component.visibility) * height, abs=0.1)
    assert (
        float(found["Product"].get("cy"))
        < float(found["Platform"].get("cy"))
        < float(found["Compute"].get("cy"))
    )
    assert (
        float(found["Platform"].get("cx"))
        < float(found["Product"].get("cx"))
        < float(found["Compute"].get("cx"))
    )


def test_it_draws_one_line_per_dependency_between_the_right_points():
    _, _, svg = parts([A, B, C], [(1, 2), (2, 3), (1, 99)])
    lines = [line for line in svg.iter(f"{SVG}line") if "dependency" in (line.get("class") or "")]
    assert len(lines) == 2  # the one naming an unknown component is left out
    found = dots(svg)
    for line, (source, target) in zip(lines, [("Product", "Platform"), ("Platform", "Compute")], strict=True):
        assert (line.get("data-source"), line.get("data-target")) == (source, target)
        assert (line.get("x1"), line.get("y1")) == (found[source].get("cx"), found[source].get("cy"))
        assert (line.get("x2"), line.get("y2")) == (found[target].get("cx"), found[target].get("cy"))


def test_it_labels_the_axes():
    _, _, svg = parts([A], [])
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    for label in ("Genesis", "Custom", "Product", "Commodity", "Visible", "Invisible"):
        assert label in texts
    stages = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "stage-label"]
    assert [t.text for t in stages] == ["Genesis", "Custom", "Product", "Commodity"]
    xs = [float(t.get("x")) for t in stages]
    assert xs == sorted(xs)
    assert svg.get("viewBox") == f"0 0 {wardley.WIDTH} {wardley.HEIGHT}"


def test_it_escapes_component_names_in_the_svg_and_the_text_alternative():
    evil = wardley.Component(7, '<script>alert("x")</script> & "co"', visibility=0.5, evolution=0.5)
    other = wardley.Component(8, "Safe", visibility=0.2, evolution=0.2)
    _, html, svg = parts([evil, other], [(7, 8)])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert evil.name in labels  # parsed back to the original text: escaped, not mangled
    assert f"{evil.name} depends on Safe" not in html  # the text list is escaped too
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;co&quot; depends on Safe" in html


def test_it_draws_movement_arrows_and_the_highlight():
    moving = wardley.Component(4, "ML platform", visibility=0.5, evolution=0.4, evolves_to=0.7)
    layout, html, svg = parts([moving, B], [], highlight=4)
    arrows = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "movement"]
    assert len(arrows) == 1
    assert float(arrows[0].get("x1")) == pytest.approx(wardley.x_for(0.4))
    assert float(arrows[0].get("x2")) == pytest.approx(wardley.x_for(0.7))
    assert arrows[0].get("y1") == arrows[0].get("y2")
    highlighted = [
        g.get("data-component") for g in svg.iter(f"{SVG}g") if "is-highlighted" in (g.get("class") or "")
    ]
    assert highlighted == ["ML platform"]
    assert "moving towards Product" in html
    assert layout.highlighted.name == "ML platform"


def test_it_lists_components_and_dependencies_as_text():
    _, html, _ = parts([A, B], [(1, 2)])
    assert "The map as text" in html
    assert "Product depends on Platform" in html
    assert "<strong>Platform</strong>: Genesis" in html


def test_labels_near_the_right_edge_go_left_of_the_dot():
    layout = wardley.layout([A, C], [])
    anchors = {node.name: node.anchor for node in layout.nodes}
    assert anchors == {"Product": "start", "Compute": "end"}
