"""The prepared polls of the bundled lessons (fixtures/polls/*.json), loaded by `setup_demo` through the
registry."""

from pathlib import Path

from facilitation.tools.polls.rules import PollsFileError, load_prepared_polls, read_polls_file

FOLDER = "polls"
Error = PollsFileError


def load(path: Path) -> str:
    lesson, count = load_prepared_polls(read_polls_file(path))
    return f"Loaded {count} prepared polls from polls/{path.name} into “{lesson}”."
