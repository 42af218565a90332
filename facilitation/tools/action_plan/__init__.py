"""The action plan, its peer review and the summative assessment."""

from facilitation.tools import Tool

TOOL = Tool(
    key="action_plan",
    label="Action plans",
    phase_tools=("action_plan",),
    styles=("css/action_plan.css",),
    scripts=("js/action_plan.js",),
)
