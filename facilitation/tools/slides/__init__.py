"""The slides of a phase, Q&A on them and Wardley maps."""

from facilitation.tools import Tool

TOOL = Tool(
    key="slides",
    label="Slides and Q&A",
    phase_tools=("slides",),
    styles=("css/slides.css",),
    scripts=("js/slides.js",),
)
