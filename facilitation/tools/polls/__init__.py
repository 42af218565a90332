"""Polls and quizzes, prepared or written live; one may open in any phase."""

from facilitation.tools import Tool

TOOL = Tool(key="polls", label="Polls", screen_rank=10, styles=("css/polls.css",))
