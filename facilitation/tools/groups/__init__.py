"""Breakout groups: forming them, case studies, each group's shared analysis and strategy."""

from facilitation.tools import Tool

TOOL = Tool(
    key="groups",
    label="Groups",
    phase_tools=("case_study", "strategy"),
    styles=("css/groups.css",),
    scripts=("js/groups.js",),
    on_join="rules.place_late_joiner",
    socket_views=("look-in",),
)
