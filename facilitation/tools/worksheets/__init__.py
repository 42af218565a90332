"""The individual worksheet (categories, items, severity) and the room's heatmap."""

from facilitation.tools import Tool

TOOL = Tool(
    key="worksheets",
    label="Worksheet",
    styles=("css/worksheets.css",),
    scripts=("js/worksheets.js",),
)
