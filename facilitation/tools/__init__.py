"""The registry of live tools: the one list that the screens, the URLs, the report and the CSV datasets read.

A tool is a package (here, `facilitation/tools/<key>/`, or anywhere on the path, named in the
`PHASEWISE_EXTRA_TOOLS` setting) whose `__init__.py` declares `TOOL = Tool(key=...)`. By convention the
package holds:

- `rules.py` — what the tool does, and `panel_context(session, view)` (the dashboard's context with
  `view="dashboard"`, the projector's with `view="projector"`) and `learner_context(session, participant)`;
- `urls.py` — `urlpatterns`, mounted under the `facilitation` namespace;
- `report.py` (optional) — `report_context(session, *, names) -> dict` for the report's section and
  `DATASETS`, CSV datasets by name (`name -> rows(session)`);
- `retention.py` (when it stores learner data) — `LEARNER_DATA`, `KEPT`, `KEPT_TEXTS` for
  `facilitation.retention`: every model of a tool is in one of them (a test walks every model);
- `admin.py` (optional) — its authoring models' Django admin;
- `demo.py` (optional) — the bundled lessons' content for the tool: `FOLDER` under fixtures/, `load(path)`
  and the `Error` it raises, for `setup_demo`;
- templates in `templates/<template_dir>/` (`template_dir` is `facilitation/tools/<key>` unless the tool
  says): `panel.html`, `learner.html`, `projector.html`, `report.html` when the tool has a report section,
  `learner_header.html` when it says `learner_header=True`.

Nothing outside a tool's package names the tool: the screens include each tool's templates in `screen_rank`
order, the report in registry order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from importlib import import_module
from types import ModuleType

from django.conf import settings

# The tools of this project, in the report's order (it follows a session's flow).
BUILT_IN = (
    "facilitation.tools.wall",
    "facilitation.tools.polls",
    "facilitation.tools.worksheets",
    "facilitation.tools.groups",
    "facilitation.tools.slides",
    "facilitation.tools.action_plan",
    "facilitation.tools.support",
)


@dataclass(frozen=True)
class Tool:
    key: str
    # Screens show tools in this order (lower first); polls come first because one may open in any phase.
    screen_rank: int = 50
    # Static files (paths under static/) every live screen loads for this tool.
    styles: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    # Whether the learner page shows the tool's `learner_header.html` in its header bar (e.g. a help link).
    learner_header: bool = False
    # Called with each new participant right after they join (e.g. to place a late joiner in a group).
    on_join: str = ""
    template_dir: str = ""
    package: str = ""
    # Facilitator screens of the tool's own with a live socket (`?view=` of /ws/<code>/), e.g. a look-in page;
    # its rules.view_socket_groups(session, view, query) names the channel groups such a socket joins.
    socket_views: tuple[str, ...] = ()
    # The name of the tool's tab on the dashboard (its key, capitalised, when empty).
    label: str = ""
    # The phase tools (lessons.models.PhaseTool values) for which this tool's panel is the dashboard's current
    # tab: a phase opening one of them opens this tool's tab (the first such tool in screen order).
    phase_tools: tuple[str, ...] = ()
    # A partial of the tool's regions.html that says, in a few words, what needs the facilitator now (e.g.
    # help requests waiting): shown in the dashboard's cockpit next to the clock, and pushed with the tool's
    # dashboard regions. Empty when nothing of the tool ever needs them at once.
    attention: str = ""

    def module(self, name: str) -> ModuleType | None:
        """The tool's module `name` (rules, urls, report), or None when the tool has none (remembered: the
        screens ask on every request, and a failed import searches the path each time)."""
        return _module(f"{self.package}.{name}")

    def template(self, screen: str) -> str:
        return f"{self.template_dir or f'facilitation/tools/{self.key}'}/{screen}.html"

    @property
    def panel_template(self) -> str:
        return self.template("panel")

    @property
    def tab_label(self) -> str:
        return self.label or self.key.replace("_", " ").capitalize()

    @property
    def attention_template(self) -> str:
        return f"{self.template('regions')}#{self.attention}" if self.attention else ""

    @property
    def learner_template(self) -> str:
        return self.template("learner")

    @property
    def projector_template(self) -> str:
        return self.template("projector")

    @property
    def report_template(self) -> str:
        return self.template("report")

    @property
    def learner_header_template(self) -> str:
        return self.template("learner_header")


@cache
def _module(dotted: str) -> ModuleType | None:
    try:
        return import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name == dotted:
            return None
        raise


@cache
def _load(packages: tuple[str, ...]) -> tuple[Tool, ...]:
    found = []
    for package in packages:
        tool = import_module(package).TOOL
        if not isinstance(tool, Tool):
            raise TypeError(f"{package}.TOOL is not a Tool")
        found.append(tool if tool.package else replace(tool, package=package))
    keys = [t.key for t in found]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"Two tools are registered with the key {', '.join(duplicates)}")
    return tuple(found)


def all_tools() -> tuple[Tool, ...]:
    """Every registered tool, in registry (report) order."""
    return _load(BUILT_IN + tuple(getattr(settings, "PHASEWISE_EXTRA_TOOLS", ())))


def on_screens() -> list[Tool]:
    """The tools in the order the screens show them."""
    return sorted(all_tools(), key=lambda t: t.screen_rank)


def for_phase_tool(phase_tool: str) -> Tool | None:
    """The tool whose tab the dashboard opens while a phase with `phase_tool` runs (None: no tool claims it)."""
    return next((tool for tool in on_screens() if phase_tool in tool.phase_tools), None)


def get(key: str) -> Tool:
    for tool in all_tools():
        if tool.key == key:
            return tool
    raise LookupError(f"No tool is registered with the key {key!r}")


def _hooks(name: str):
    for tool in all_tools():
        rules = tool.module("rules")
        hook = getattr(rules, name, None) if rules else None
        if hook is not None:
            yield hook


def panel_context(session, view: str) -> dict:
    """The dashboard's (`view="dashboard"`) or the projector's (`view="projector"`) context of every tool."""
    context: dict = {"tools": on_screens()}
    for hook in _hooks("panel_context"):
        context.update(hook(session, view))
    return context


def learner_context(session, participant) -> dict:
    context: dict = {"tools": on_screens()}
    for hook in _hooks("learner_context"):
        context.update(hook(session, participant))
    return context


def joined(participant) -> None:
    """Tell each tool that asked (`on_join`) about a participant who just joined."""
    for tool in all_tools():
        if tool.on_join:
            module_name, _, function = tool.on_join.rpartition(".")
            getattr(tool.module(module_name), function)(participant)


def learner_socket_groups(session, participant) -> list[str]:
    """The channel groups a learner's socket joins for the tools (`rules.learner_socket_groups`), besides the
    session's, the learner's level's and their own."""
    found: list[str] = []
    for hook in _hooks("learner_socket_groups"):
        found.extend(hook(session, participant))
    return found


def view_socket_groups(session, view: str, query: dict[str, str]) -> list[str] | None:
    """The channel groups of a tool's own facilitator screen `view`, or None: no tool has that screen, or its
    tool refuses the socket (e.g. a look-in page for a group of another session)."""
    for tool in all_tools():
        if view in tool.socket_views:
            rules = tool.module("rules")
            assert rules is not None  # a tool with its own screens has its rules module
            return rules.view_socket_groups(session, view, query)
    return None


def urlpatterns() -> list:
    patterns: list = []
    for tool in all_tools():
        urls = tool.module("urls")
        if urls is not None:
            patterns.extend(urls.urlpatterns)
    return patterns


def report_sections(session, *, names: bool) -> tuple[list[Tool], dict]:
    """The tools with a report section, and their sections' context merged."""
    shown, context = [], {}
    for tool in all_tools():
        report = tool.module("report")
        if report is not None and hasattr(report, "report_context"):
            shown.append(tool)
            context.update(report.report_context(session, names=names))
    return shown, context


def datasets() -> dict:
    """Every tool's CSV datasets by name, in registry order."""
    found: dict = {}
    for tool in all_tools():
        report = tool.module("report")
        for name, rows in getattr(report, "DATASETS", {}).items():
            if name in found:
                raise ValueError(f"Two tools define the CSV dataset {name!r}")
            found[name] = rows
    return found


def styles() -> list[str]:
    return [path for tool in all_tools() for path in tool.styles]


def scripts() -> list[str]:
    return [path for tool in all_tools() for path in tool.scripts]
