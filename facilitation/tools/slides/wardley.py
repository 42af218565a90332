"""Wardley map geometry: where each component, dependency line and movement arrow goes in the SVG.

Pure functions over plain values (no database), so placement is easy to test. The template
`facilitation/tools/slides/wardley.html` draws the result; it is autoescaped, so component names are safe.

Coordinates: evolution 0..1 runs left (genesis) to right (commodity); visibility 0..1 runs bottom (invisible)
to top (visible to the user). The SVG has a fixed viewBox and scales to its container.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 720
HEIGHT = 500
LEFT = 44
RIGHT = 16
TOP = 18
BOTTOM = 44
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
RADIUS = 7

STAGES = ("Genesis", "Custom", "Product", "Commodity")


def x_for(evolution: float) -> float:
    return round(LEFT + min(max(evolution, 0.0), 1.0) * PLOT_WIDTH, 1)


def y_for(visibility: float) -> float:
    return round(TOP + (1 - min(max(visibility, 0.0), 1.0)) * PLOT_HEIGHT, 1)


@dataclass(frozen=True)
class Component:
    """What the geometry needs of a component."""

    id: int
    name: str
    visibility: float
    evolution: float
    evolves_to: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    note: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # text-anchor of the label: start (right of the dot) or end (left of it)
    highlighted: bool
    stage: str
    visibility: float
    evolution: float
    move_x: float | None = None  # where the movement arrow ends
    move_stage: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float
    highlighted: bool


@dataclass(frozen=True)
class Tick:
    label: str
    x: float  # label centre
    line_x: float | None  # the dashed divider to the stage's left (none for the first)


@dataclass
class MapLayout:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    highlighted: Node | None = None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right: float = WIDTH - RIGHT
    bottom: float = HEIGHT - BOTTOM
    ticks: list[Tick] = field(default_factory=list)

    @property
    def axis_label_y(self) -> float:
        return self.bottom + 26

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2


def stage_of(evolution: float) -> str:
    return STAGES[min(int(evolution * len(STAGES)), len(STAGES) - 1)]


def ticks() -> list[Tick]:
    quarter = 1 / len(STAGES)
    return [
        Tick(label, x_for((i + 0.5) * quarter), x_for(i * quarter) if i else None)
        for i, label in enumerate(STAGES)
    ]


def layout(
    components: list[Component], dependencies: list[tuple[int, int]], highlight: int | None = None
) -> MapLayout:
    """Place every component and draw a line per dependency (source → target, by component id); a dependency
    naming an unknown component is left out. Labels sit right of the dot, or left of it near the right edge."""
    nodes: dict[int, Node] = {}
    for component in components:
        x, y = x_for(component.evolution), y_for(component.visibility)
        right_side = component.evolution <= 0.78
        nodes[component.id] = Node(
            id=component.id,
            name=component.name,
            note=component.note,
            x=x,
            y=y,
            label_x=round(x + RADIUS + 4 if right_side else x - RADIUS - 4, 1),
            label_y=round(y - RADIUS - 2, 1) if component.visibility < 0.97 else round(y + RADIUS + 14, 1),
            anchor="start" if right_side else "end",
            highlighted=component.id == highlight,
            stage=stage_of(component.evolution),
            visibility=component.visibility,
            evolution=component.evolution,
            move_x=x_for(component.evolves_to) if component.evolves_to is not None else None,
            move_stage=stage_of(component.evolves_to) if component.evolves_to is not None else "",
        )
    edges = [
        Edge(
            source=nodes[source].name,
            target=nodes[target].name,
            x1=nodes[source].x,
            y1=nodes[source].y,
            x2=nodes[target].x,
            y2=nodes[target].y,
            highlighted=highlight in (source, target),
        )
        for source, target in dependencies
        if source in nodes and target in nodes
    ]
    return MapLayout(
        nodes=list(nodes.values()),
        edges=edges,
        highlighted=nodes.get(highlight) if highlight is not None else None,
        ticks=ticks(),
    )
