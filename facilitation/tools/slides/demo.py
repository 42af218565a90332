"""The slides, resources and Wardley maps of the bundled lessons (fixtures/explain/*.json), loaded by
`setup_demo` through the registry."""

from pathlib import Path

from facilitation.tools.slides.rules import ExplainFileError, load_explain, read_explain_file

FOLDER = "explain"
Error = ExplainFileError


def load(path: Path) -> str:
    lesson, _ = load_explain(read_explain_file(path))
    return f"Loaded slides, resources and the Wardley map from explain/{path.name} into “{lesson}”."
