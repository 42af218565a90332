"""A tool that exists only for tests: registered through PHASEWISE_EXTRA_TOOLS, it must reach every screen,
the URLs, the report and the CSV datasets with no edit outside this package (tests/tools/test_registry.py)."""

from facilitation.tools import Tool

TOOL = Tool(
    key="registry_sample",
    screen_rank=5,
    scripts=("js/registry-sample.js",),
    learner_header=True,
    on_join="rules.joined",
    template_dir="registry_sample",
    socket_views=("registry-sample",),
    label="Sample",
    phase_tools=("wall",),
    attention="sample_attention",
)
