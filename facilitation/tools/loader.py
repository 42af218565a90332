"""A template loader for tools outside this project's apps: it finds templates in the `templates/` folder of
every registered tool package (`PHASEWISE_EXTRA_TOOLS`), so such a tool needs no edit of `TEMPLATES`."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from django.template.loaders.filesystem import Loader as FilesystemLoader

from facilitation import tools


def tool_template_dirs() -> list[Path]:
    dirs = []
    for tool in tools.all_tools():
        spec = find_spec(tool.package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            folder = Path(location) / "templates"
            if folder.is_dir():
                dirs.append(folder)
    return dirs


class Loader(FilesystemLoader):
    def get_dirs(self):
        return tool_template_dirs()
