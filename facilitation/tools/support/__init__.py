"""Help requests, formative observations, self-assessment and the exit reflection."""

from facilitation.tools import Tool

TOOL = Tool(
    key="support",
    label="Coaching",
    styles=("css/support.css",),
    learner_header=True,
    attention="support_attention",
)
