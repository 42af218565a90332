"""Help requests, formative observations, self-assessment and the exit reflection."""

from facilitation.tools import Tool

TOOL = Tool(key="support", styles=("css/support.css",), learner_header=True)
