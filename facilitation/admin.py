"""Django admin for the live tools: each tool registers its authoring models in its own admin.py, which the
registry loads here (Django's admin autodiscovery looks only at each app's admin module)."""

from facilitation import tools

for tool in tools.all_tools():
    tool.module("admin")
