"""Where the live tools plug into the session's screens.

Each tool module (see TOOL_MODULES) provides:
- `panel_context(session, view)`: extra context for the dashboard (`view="dashboard"`) and the projector
  (`view="projector"`), merged into the page context;
- `learner_context(session, participant)`: extra context for the learner page.
Their templates are included by the screens: `facilitation/panels/<tool>.html` (dashboard),
`facilitation/projector/<tool>.html` (projector), `facilitation/learner/<tool>.html` (learner page).
"""

from __future__ import annotations

from importlib import import_module

TOOL_MODULES = (
    "facilitation.tools.wall.rules",
    "facilitation.tools.polls.rules",
    "facilitation.tools.worksheets.rules",
    "facilitation.tools.groups.rules",
    "facilitation.tools.slides.rules",
    "facilitation.tools.action_plan.rules",
    "facilitation.tools.support.rules",
)


def _modules():
    return [import_module(name) for name in TOOL_MODULES]


def panel_context(session, view: str) -> dict:
    context: dict = {}
    for module in _modules():
        context.update(module.panel_context(session, view))
    return context


def learner_context(session, participant) -> dict:
    context: dict = {}
    for module in _modules():
        context.update(module.learner_context(session, participant))
    return context
