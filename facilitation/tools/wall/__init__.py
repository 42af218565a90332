"""The brainstorm wall: sticky notes, votes, clusters."""

from facilitation.tools import Tool

TOOL = Tool(key="wall", styles=("css/wall.css",), scripts=("js/wall.js",))
