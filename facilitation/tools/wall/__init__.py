"""The brainstorm wall: sticky notes, votes, clusters."""

from facilitation.tools import Tool

TOOL = Tool(
    key="wall",
    label="Wall",
    phase_tools=("wall",),
    styles=("css/wall.css",),
    scripts=("js/wall.js",),
)
