"""Import and export lesson plans as markdown, in the format of the seed lesson.

The markdown file is the source of truth for a bundled lesson, so the two directions are kept exact inverses:
`parse_lesson` turns text into plain dataclasses (no database), `render_lesson` turns those dataclasses back
into text, and `import_markdown` / `export_markdown` only move the dataclasses in and out of the database.
Every problem is reported with the line it was found on, and nothing is written unless the whole file parses.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import cast

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from .models import (
    AssessmentKind,
    AssessmentMethod,
    Audience,
    BloomLevel,
    ItemKind,
    LearningObjective,
    Lesson,
    LessonItem,
    Phase,
    PhaseTool,
)


class LessonFormatError(Exception):
    """A lesson plan that cannot be imported; `line` is 1-based, or None when no line is to blame."""

    def __init__(self, line: int | None, message: str):
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class DurationMismatchError(LessonFormatError):
    """The phases do not add up to the lesson's duration and the caller did not allow that."""


class PhaseInUseError(LessonFormatError):
    """Re-importing would delete a phase that a live session still points at."""


# --- The data a lesson plan holds ---------------------------------------------------------------------------
# `line` fields say where something came from, for messages; they are left out of comparisons so that a parsed
# lesson equals the same lesson read back from the database.


@dataclass
class ObjectiveData:
    text: str
    bloom_level: str
    line: int | None = field(default=None, compare=False)


@dataclass
class PhaseData:
    name: str
    duration_minutes: int
    facilitator_actions: str = ""
    learner_activities: str = ""
    resources_used: str = ""
    differentiation: str = ""
    technology_integration: str = ""
    tool: str = PhaseTool.NONE
    line: int | None = field(default=None, compare=False)


@dataclass
class AssessmentData:
    kind: str
    description: str
    alignment: str = ""
    line: int | None = field(default=None, compare=False)


@dataclass
class AudienceData:
    key: str
    name: str
    strategy: str
    line: int | None = field(default=None, compare=False)


@dataclass
class LessonData:
    title: str
    duration_minutes: int
    target_audience: str = ""
    objectives: list[ObjectiveData] = field(default_factory=list)
    phases: list[PhaseData] = field(default_factory=list)
    # ItemKind value -> bullet texts in order; only kinds that have bullets are present.
    items: dict[str, list[str]] = field(default_factory=dict)
    assessments: list[AssessmentData] = field(default_factory=list)
    audiences: list[AudienceData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list, compare=False)
    duration_line: int | None = field(default=None, compare=False)

    @property
    def slug(self) -> str:
        return lesson_slug(self.title)

    @property
    def planned_phase_minutes(self) -> int:
        return sum(phase.duration_minutes for phase in self.phases)

    def duration_mismatch(self) -> str | None:
        planned = self.planned_phase_minutes
        if planned == self.duration_minutes:
            return None
        return (
            f"the phases add up to {planned} minutes but the lesson's **Duration:** is "
            f"{self.duration_minutes} minutes"
        )


@dataclass
class ImportResult:
    lesson: Lesson
    created: bool
    warnings: list[str]


# --- Vocabulary of the format -------------------------------------------------------------------------------

# Each of these CharFields sets its max_length (the stubs allow None: PostgreSQL's CharField may have none).
TITLE_MAX = cast(int, Lesson._meta.get_field("title").max_length)
SLUG_MAX = cast(int, Lesson._meta.get_field("slug").max_length)
PHASE_NAME_MAX = cast(int, Phase._meta.get_field("name").max_length)
AUDIENCE_NAME_MAX = cast(int, Audience._meta.get_field("name").max_length)
AUDIENCE_KEY_MAX = cast(int, Audience._meta.get_field("key").max_length)

# Bullet-list sections, in the order they are written (the seed's order); objectives, phases, assessments,
# differentiation and reflection questions have their own syntax and are placed among them by `render_lesson`.
ITEM_HEADINGS = {
    ItemKind.KEY_CONCEPT: "Key Concepts",
    ItemKind.PRIOR_KNOWLEDGE: "Prior Knowledge",
    ItemKind.MATERIAL: "Materials Needed",
    ItemKind.CROSS_DISCIPLINARY: "Cross-Disciplinary Connections",
    ItemKind.REAL_WORLD: "Real-World Applications",
    ItemKind.METACOGNITION: "Metacognition Opportunities",
    ItemKind.EXTENSION: "Extension Activities",
    ItemKind.SAFETY: "Safety Considerations",
    ItemKind.VIRTUAL_ADAPTATION: "Adaptations for Virtual Learning",
    ItemKind.RESOURCE: "Additional Resources",
}
REFLECTION_HEADINGS = {
    ItemKind.REFLECTION_LEARNER: "For Learners",
    ItemKind.REFLECTION_FACILITATOR: "For Facilitator",
}

OBJECTIVES = "objectives"
PHASES = "phases"
ASSESSMENTS = "assessments"
AUDIENCES = "audiences"
REFLECTION = "reflection"

# Normalised `## ` heading -> section; a few common variants are accepted besides the seed's wording.
SECTIONS = {
    "learning objectives": OBJECTIVES,
    "objectives": OBJECTIVES,
    "lesson structure": PHASES,
    "phases": PHASES,
    "assessment methods": ASSESSMENTS,
    "assessment": ASSESSMENTS,
    "assessments": ASSESSMENTS,
    "differentiation strategies": AUDIENCES,
    "differentiation": AUDIENCES,
    "reflection questions": REFLECTION,
    "reflection": REFLECTION,
    "materials": ItemKind.MATERIAL,
    "virtual adaptations": ItemKind.VIRTUAL_ADAPTATION,
    "adaptations for virtual learning": ItemKind.VIRTUAL_ADAPTATION,
    "resources": ItemKind.RESOURCE,
    **{heading.lower().replace("-", " "): kind for kind, heading in ITEM_HEADINGS.items()},
}

PHASE_FIELDS = {
    "duration": "duration_minutes",
    "facilitator actions": "facilitator_actions",
    "learner activities": "learner_activities",
    "resources used": "resources_used",
    "resources": "resources_used",
    "differentiation": "differentiation",
    "technology integration": "technology_integration",
    "technology": "technology_integration",
    "learner tool": "tool",
    "tool": "tool",
}
PHASE_FIELD_LABELS = {
    "facilitator_actions": "Facilitator Actions",
    "learner_activities": "Learner Activities",
    "resources_used": "Resources Used",
    "differentiation": "Differentiation",
    "technology_integration": "Technology Integration",
}

BLOOM_FORMS = {
    "remembering": BloomLevel.REMEMBERING,
    "remember": BloomLevel.REMEMBERING,
    "understanding": BloomLevel.UNDERSTANDING,
    "understand": BloomLevel.UNDERSTANDING,
    "applying": BloomLevel.APPLYING,
    "apply": BloomLevel.APPLYING,
    "analyzing": BloomLevel.ANALYZING,
    "analyze": BloomLevel.ANALYZING,
    "analysing": BloomLevel.ANALYZING,
    "analyse": BloomLevel.ANALYZING,
    "evaluating": BloomLevel.EVALUATING,
    "evaluate": BloomLevel.EVALUATING,
    "creating": BloomLevel.CREATING,
    "create": BloomLevel.CREATING,
}

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# `**Duration:** 30 minutes` and `**Formative**: text` both: the colon may sit inside or outside the bold.
FIELD = re.compile(r"^\*\*(?P<label>[^*]+?)\s*(?::\*\*|\*\*\s*:)\s*(?P<value>.*)$")
BOLD_NAME = re.compile(r"^\*\*(?P<label>[^*]+?)\s*(?::\*\*|\*\*\s*:?)\s*(?P<value>.*)$")
BULLET = re.compile(r"^[*+-](?:\s+(?P<text>.*)|$)")
ALIGNMENT = re.compile(r"^[*+-]\s+(?:\*\*)?alignment\s*(?::\*\*|\*\*\s*:|:)\s*(?P<text>.*)$", re.IGNORECASE)
DURATION_PART = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?|m)\b", re.IGNORECASE
)
TABLE_SEPARATOR = re.compile(r"^:?-{3,}:?$")


def lesson_slug(title: str) -> str:
    """The lesson's slug: re-importing a file finds its lesson by it, so it depends on the title only."""
    return slugify(title)[:SLUG_MAX].strip("-")


def parse_duration(text: str, *, line: int | None = None) -> int:
    """Minutes from '30 minutes', '2 hours', '10 min', '1.5 hours', '1 hour 30 minutes'."""
    value = text.strip().rstrip(".")
    parts = list(DURATION_PART.finditer(value))
    rest = DURATION_PART.sub(" ", value).replace(",", " ")
    rest = re.sub(r"\band\b", " ", rest, flags=re.IGNORECASE)
    if not parts or rest.strip():
        example = "write e.g. '30 minutes', '2 hours' or '10 min'"
        raise LessonFormatError(line, f"cannot read the duration {text.strip()!r} ({example})")
    minutes = Decimal(0)
    for part in parts:
        try:
            number = Decimal(part["number"])
        except InvalidOperation:  # pragma: no cover - the pattern only matches decimals
            raise LessonFormatError(line, f"cannot read the duration {text.strip()!r}") from None
        minutes += number * 60 if part["unit"].lower().startswith("h") else number
    if minutes != minutes.to_integral_value():
        raise LessonFormatError(line, f"the duration {text.strip()!r} is not a whole number of minutes")
    if minutes <= 0:
        raise LessonFormatError(line, f"the duration {text.strip()!r} must be more than zero")
    return int(minutes)


def format_duration(minutes: int) -> str:
    """Whole hours as hours (the seed says '3 hours'), anything else in minutes."""
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def parse_bloom_level(text: str, *, line: int | None = None) -> str:
    level = BLOOM_FORMS.get(text.strip().strip("*").strip().lower())
    if level is None:
        known = ", ".join(label for label in BloomLevel.labels)
        raise LessonFormatError(line, f"unknown Bloom level {text.strip()!r} (expected one of {known})")
    return level


def parse_tool(text: str, *, line: int | None = None) -> str:
    wanted = text.strip().lower()
    for value, label in PhaseTool.choices:
        if wanted in {value.lower(), label.lower(), value.replace("_", " ")}:
            return value
    known = ", ".join(f"'{label}'" for label in PhaseTool.labels)
    raise LessonFormatError(line, f"unknown **Learner Tool:** {text.strip()!r} (expected one of {known})")


# Checked in this order: a phase named after a 5E step gets that step's tool even when its text mentions
# another tool's keyword (the seed's Elaborate uses a "digital whiteboard" but is a strategy phase).
TOOL_BY_NAME = {
    "engage": PhaseTool.WALL,
    "explore": PhaseTool.CASE_STUDY,
    "explain": PhaseTool.SLIDES,
    "elaborate": PhaseTool.STRATEGY,
    "evaluate": PhaseTool.ACTION_PLAN,
}
TOOL_BY_KEYWORD = [
    (("whiteboard", "brainstorm", "sticky note"), PhaseTool.WALL),
    (("case stud", "worksheet"), PhaseTool.CASE_STUDY),
    (("presentation", "polling", "poll"), PhaseTool.SLIDES),
    (("strategy", "strategies"), PhaseTool.STRATEGY),
    (("action plan", "peer review"), PhaseTool.ACTION_PLAN),
]


def infer_tool(name: str, text: str) -> str:
    """The learner tool for a phase whose plan does not name one.

    Older lesson plans have no `**Learner Tool:**` line, yet the live session must open something for
    learners. The 5E step names map to the tools built for them; for other phases (Elicit, Extend, ...) the
    first tool whose keywords appear in the phase's text wins, and a phase that mentions none of them just
    follows the facilitator."""
    for word in re.findall(r"[a-z]+", name.lower()):
        if word in TOOL_BY_NAME:
            return TOOL_BY_NAME[word]
    haystack = f"{name} {text}".lower()
    for keywords, tool in TOOL_BY_KEYWORD:
        if any(keyword in haystack for keyword in keywords):
            return tool
    return PhaseTool.NONE


def audience_key(name: str, taken: set[str]) -> str:
    """A short, stable key for an audience: its first word ('novice'), longer only to stay unique.

    Participants store the key of the audience they picked, so the same name must give the same key on every
    import."""
    words = slugify(name).split("-") if slugify(name) else ["audience"]
    for count in range(1, len(words) + 1):
        candidate = "-".join(words[:count])[:AUDIENCE_KEY_MAX].strip("-")
        if candidate and candidate not in taken:
            return candidate
    base = words[0][: AUDIENCE_KEY_MAX - 4]
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# --- Parsing ------------------------------------------------------------------------------------------------

Line = tuple[int, str]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("-", " ").replace("&", "and")).strip().strip(":").lower()


def parse_lesson(text: str) -> LessonData:
    """Read a lesson plan without touching the database, so a bad file is rejected before anything is saved.

    Raises LessonFormatError at the first problem; what is skipped (unknown sections, stray text) becomes a
    warning with its line."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise LessonFormatError(line, "this is a binary file, not a markdown lesson plan")
    lines = list(enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1))
    if not text.strip():
        raise LessonFormatError(1, "the file is empty")
    warnings: list[str] = []

    position = 0
    while not lines[position][1].strip():
        position += 1
    title_line, first = lines[position]
    heading = HEADING.match(first)
    if not heading or len(heading[1]) != 1 or not heading[2]:
        raise LessonFormatError(
            title_line, f"expected the lesson's title as a '# Title' heading, found {first.strip()[:60]!r}"
        )
    title = heading[2]
    if len(title) > TITLE_MAX:
        raise LessonFormatError(title_line, f"the title is longer than {TITLE_MAX} characters")
    if not lesson_slug(title):
        raise LessonFormatError(title_line, "the title needs letters or digits (it names the lesson's URL)")

    header, sections = _split_sections(lines[position + 1 :])
    duration, duration_line, target_audience = _parse_header(header, title_line, warnings)
    data = LessonData(
        title=title, duration_minutes=duration, target_audience=target_audience, duration_line=duration_line
    )

    seen: dict[str, int] = {}
    structure_line = None
    for heading_line, name, body in sections:
        section = SECTIONS.get(_normal(name))
        if section is None:
            warnings.append(f"line {heading_line}: unknown section '## {name}' ignored")
            continue
        if section in seen:
            raise LessonFormatError(
                heading_line, f"the section '## {name}' appears twice (first at line {seen[section]})"
            )
        seen[section] = heading_line
        if section == OBJECTIVES:
            data.objectives = _parse_objectives(body, warnings)
        elif section == PHASES:
            structure_line = heading_line
            data.phases = _parse_phases(body, warnings)
        elif section == ASSESSMENTS:
            data.assessments = _parse_assessments(body, warnings)
        elif section == AUDIENCES:
            data.audiences = _parse_audiences(body, warnings)
        elif section == REFLECTION:
            data.items.update(_parse_reflection(body, warnings))
        else:
            texts = _item_texts(_parse_bullets(body, warnings))
            if texts:
                data.items[section] = texts

    if not data.phases:
        raise LessonFormatError(
            structure_line or title_line,
            "the lesson has no phases (it needs a '## Lesson Structure' section with '### Phase' headings)",
        )
    data.items = {kind: data.items[kind] for kind in ItemKind.values if data.items.get(kind)}
    mismatch = data.duration_mismatch()
    if mismatch:
        warnings.append(f"line {duration_line}: {mismatch}")
    data.warnings = warnings
    return data


def _split_sections(lines: list[Line]) -> tuple[list[Line], list[tuple[int, str, list[Line]]]]:
    """The lines before the first `## ` heading, then (line, heading, body) for every `## ` section."""
    header: list[Line] = []
    sections: list[tuple[int, str, list[Line]]] = []
    for number, text in lines:
        heading = HEADING.match(text)
        if heading and len(heading[1]) == 1:
            raise LessonFormatError(number, f"a second '# ' title {heading[2]!r}; one file holds one lesson")
        if heading and len(heading[1]) == 2:
            sections.append((number, heading[2], []))
        elif sections:
            sections[-1][2].append((number, text))
        else:
            header.append((number, text))
    return header, sections


def _parse_header(header: list[Line], title_line: int, warnings: list[str]) -> tuple[int, int, str]:
    duration = duration_line = None
    target_audience = ""
    for number, text in header:
        if not text.strip():
            continue
        match = FIELD.match(text.strip())
        label = _normal(match["label"]) if match else None
        if match and label == "duration":
            if duration_line is not None:
                raise LessonFormatError(number, f"a second **Duration:** (first at line {duration_line})")
            duration = parse_duration(match["value"], line=number)
            duration_line = number
        elif match and label == "target audience":
            target_audience = match["value"].strip()
        else:
            warnings.append(f"line {number}: ignored {text.strip()[:60]!r} before the first '## ' section")
    if duration is None or duration_line is None:  # set together
        raise LessonFormatError(title_line, "the lesson has no **Duration:** line under its title")
    return duration, duration_line, target_audience


def _table_cells(text: str) -> list[str]:
    inner = text.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _parse_objectives(body: list[Line], warnings: list[str]) -> list[ObjectiveData]:
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    for number, text in body:
        if not text.strip():
            continue
        if not text.strip().startswith("|"):
            warnings.append(f"line {number}: ignored {text.strip()[:60]!r} (objectives belong in the table)")
            continue
        cells = _table_cells(text)
        if all(TABLE_SEPARATOR.match(cell.replace(" ", "")) for cell in cells):
            if header is None and rows:
                header = rows.pop()[1]
            continue
        rows.append((number, cells))
    if header is None and rows and rows[0][1][-1].strip().lower() not in BLOOM_FORMS:
        header = rows.pop(0)[1]

    text_column, level_column, width = 0, 1, 2
    if header:
        width = len(header)
        lowered = [cell.lower() for cell in header]
        level_column = next((i for i, cell in enumerate(lowered) if "bloom" in cell or "level" in cell), 1)
        text_column = next(
            (i for i, cell in enumerate(lowered) if "objective" in cell and i != level_column),
            0 if level_column != 0 else 1,
        )
    objectives = []
    for number, cells in rows:
        if len(cells) != width or width < 2:
            raise LessonFormatError(
                number,
                f"an objectives row needs {max(width, 2)} cells (objective | Bloom level), not {len(cells)}",
            )
        if not cells[text_column]:
            raise LessonFormatError(number, "an objective has no text")
        level = parse_bloom_level(cells[level_column], line=number)
        objectives.append(ObjectiveData(text=cells[text_column], bloom_level=level, line=number))
    return objectives


def _parse_phases(body: list[Line], warnings: list[str]) -> list[PhaseData]:
    phases: list[PhaseData] = []
    # Per phase: which fields were given (and where), so a repeated or missing field is reported by line.
    given: list[dict[str, int]] = []
    current_field: str | None = None
    previous_blank = True
    for number, text in body:
        stripped = text.strip()
        heading = HEADING.match(text)
        if heading:
            current_field = None
            if len(heading[1]) != 3:
                warnings.append(f"line {number}: ignored heading {stripped[:60]!r} in the lesson structure")
            elif not heading[2]:
                raise LessonFormatError(number, "a phase heading has no name")
            elif len(heading[2]) > PHASE_NAME_MAX:
                raise LessonFormatError(number, f"the phase name is longer than {PHASE_NAME_MAX} characters")
            else:
                phases.append(PhaseData(name=heading[2], duration_minutes=0, tool="", line=number))
                given.append({})
        elif not stripped:
            pass
        elif match := FIELD.match(stripped):
            label = _normal(match["label"])
            attribute = PHASE_FIELDS.get(label)
            if not phases:
                warnings.append(f"line {number}: ignored {stripped[:60]!r} before the first '### Phase'")
            elif attribute is None:
                current_field = None
                warnings.append(f"line {number}: unknown phase field '**{match['label']}:**' ignored")
            elif attribute in given[-1]:
                raise LessonFormatError(
                    number,
                    f"phase '{phases[-1].name}' has a second '**{match['label']}:**' "
                    f"(first at line {given[-1][attribute]})",
                )
            else:
                given[-1][attribute] = number
                value = match["value"].strip()
                if attribute == "duration_minutes":
                    phases[-1].duration_minutes = parse_duration(value, line=number)
                    current_field = None
                elif attribute == "tool":
                    phases[-1].tool = parse_tool(value, line=number)
                    current_field = None
                else:
                    setattr(phases[-1], attribute, value)
                    current_field = attribute
        elif phases and current_field:
            joiner = "\n\n" if previous_blank else "\n"
            old = getattr(phases[-1], current_field)
            setattr(phases[-1], current_field, f"{old}{joiner}{stripped}" if old else stripped)
        else:
            warnings.append(f"line {number}: ignored {stripped[:60]!r} (not under a phase field)")
        previous_blank = not stripped

    for phase, fields in zip(phases, given, strict=True):
        if "duration_minutes" not in fields:
            raise LessonFormatError(phase.line, f"phase '{phase.name}' has no **Duration:**")
        if not phase.tool:
            text = " ".join(getattr(phase, attribute) for attribute in PHASE_FIELD_LABELS)
            phase.tool = infer_tool(phase.name, text)
    return phases


@dataclass
class _Bullet:
    line: int
    text: str
    # Indented lines under the bullet (sub-bullets and continuation text), stripped, with their lines.
    children: list[Line] = field(default_factory=list)


def _parse_bullets(body: list[Line], warnings: list[str]) -> list[_Bullet]:
    bullets: list[_Bullet] = []
    previous_blank = True
    for number, text in body:
        stripped = text.strip()
        if not stripped:
            previous_blank = True
            continue
        bullet = BULLET.match(text)
        if bullet:
            if (bullet["text"] or "").strip():
                bullets.append(_Bullet(number, bullet["text"].strip()))
            else:
                warnings.append(f"line {number}: empty bullet ignored")
        elif bullets and (text[0].isspace() or not previous_blank) and not HEADING.match(text):
            bullets[-1].children.append((number, stripped))
        else:
            warnings.append(f"line {number}: ignored {stripped[:60]!r} (not part of a bullet list)")
        previous_blank = False
    return bullets


def _item_texts(bullets: list[_Bullet]) -> list[str]:
    return ["\n".join([bullet.text, *(child for _, child in bullet.children)]) for bullet in bullets]


def _parse_reflection(body: list[Line], warnings: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[Line]] = {}
    current: list[Line] | None = None
    for number, text in body:
        heading = HEADING.match(text)
        if heading:
            name = _normal(heading[2])
            kind = None
            if any(word in name for word in ("learner", "student", "participant")):
                kind = ItemKind.REFLECTION_LEARNER
            elif any(word in name for word in ("facilitator", "teacher", "instructor", "trainer")):
                kind = ItemKind.REFLECTION_FACILITATOR
            if kind is None:
                warnings.append(f"line {number}: unknown reflection group {text.strip()!r} ignored")
                current = None
            else:
                current = groups.setdefault(kind, [])
        elif current is not None:
            current.append((number, text))
        elif text.strip():
            warnings.append(
                f"line {number}: ignored {text.strip()[:60]!r} (reflection questions go under "
                "'### For Learners' or '### For Facilitator')"
            )
    parsed = {kind: _item_texts(_parse_bullets(lines, warnings)) for kind, lines in groups.items()}
    return {kind: texts for kind, texts in parsed.items() if texts}


def _parse_assessments(body: list[Line], warnings: list[str]) -> list[AssessmentData]:
    assessments = []
    kinds = {label.lower(): value for value, label in AssessmentKind.choices}
    for bullet in _parse_bullets(body, warnings):
        match = BOLD_NAME.match(bullet.text) or re.match(r"^(?P<label>[^:]+):\s*(?P<value>.*)$", bullet.text)
        label = _normal(match["label"]).removesuffix(" assessment") if match else ""
        if match is None or label not in kinds:
            raise LessonFormatError(
                bullet.line,
                f"an assessment must start with **Formative**: or **Summative**:, found {bullet.text[:60]!r}",
            )
        description = [match["value"].strip()]
        alignment: list[str] | None = None
        for number, child in bullet.children:
            aligned = ALIGNMENT.match(child)
            if aligned:
                if alignment is not None:
                    raise LessonFormatError(number, "an assessment has a second '- Alignment:' line")
                alignment = [aligned["text"].strip()]
            else:
                (description if alignment is None else alignment).append(child)
        description_text = "\n".join(part for part in description if part)
        if not description_text:
            raise LessonFormatError(bullet.line, "an assessment has no description")
        assessments.append(
            AssessmentData(
                kind=kinds[label],
                description=description_text,
                alignment="\n".join(part for part in alignment or [] if part),
                line=bullet.line,
            )
        )
    return assessments


def _parse_audiences(body: list[Line], warnings: list[str]) -> list[AudienceData]:
    audiences: list[AudienceData] = []
    names: dict[str, int] = {}
    for bullet in _parse_bullets(body, warnings):
        match = BOLD_NAME.match(bullet.text) or re.match(r"^(?P<label>[^:]+):\s*(?P<value>.*)$", bullet.text)
        if not match or not match["label"].strip():
            raise LessonFormatError(
                bullet.line, f"expected '* **Audience**: strategy', found {bullet.text[:60]!r}"
            )
        name = match["label"].strip()
        if len(name) > AUDIENCE_NAME_MAX:
            raise LessonFormatError(bullet.line, f"the audience name is over {AUDIENCE_NAME_MAX} characters")
        if name.lower() in names:
            raise LessonFormatError(
                bullet.line, f"the audience {name!r} is listed twice (first at line {names[name.lower()]})"
            )
        names[name.lower()] = bullet.line
        parts = [match["value"].strip(), *(child for _, child in bullet.children)]
        strategy = "\n".join(part for part in parts if part)
        if not strategy:
            raise LessonFormatError(bullet.line, f"the audience {name!r} has no strategy")
        key = audience_key(name, {audience.key for audience in audiences})
        audiences.append(AudienceData(key=key, name=name, strategy=strategy, line=bullet.line))
    return audiences


# --- Rendering ----------------------------------------------------------------------------------------------


def _continued(text: str, indent: str = "  ") -> str:
    """A multi-line value: the first line in place, the rest indented so it stays with its bullet."""
    first, *rest = text.split("\n")
    return "\n".join([first, *(f"{indent}{line}" if line else "" for line in rest)])


def render_lesson(data: LessonData) -> str:
    """The markdown for a lesson, in the seed's section order; `parse_lesson` reads it back to equal data."""
    out = [f"# {data.title}", "", f"**Duration:** {format_duration(data.duration_minutes)}"]
    if data.target_audience:
        out.append(f"**Target Audience:** {data.target_audience}")
    out.append("")

    def bullets(heading: str, texts: list[str]) -> None:
        if texts:
            out.extend([f"## {heading}", *(f"* {_continued(text)}" for text in texts), ""])

    if data.objectives:
        out += ["## Learning Objectives", "", "| Objective | Bloom's Taxonomy Level |"]
        out.append("|-----------|-------------------------|")
        for objective in data.objectives:
            label = BloomLevel(objective.bloom_level).label
            text = objective.text.replace("\n", " ").replace("|", "\\|")
            out.append(f"| {text} | {label} |")
        out.append("")
    for kind in (ItemKind.KEY_CONCEPT, ItemKind.PRIOR_KNOWLEDGE, ItemKind.MATERIAL):
        bullets(ITEM_HEADINGS[kind], data.items.get(kind, []))

    out.append("## Lesson Structure")
    for phase in data.phases:
        out += [f"### {phase.name}", f"**Duration:** {format_duration(phase.duration_minutes)}", ""]
        for attribute, label in PHASE_FIELD_LABELS.items():
            value = getattr(phase, attribute)
            if value:
                out += [f"**{label}:** {value}", ""]
        out += [f"**Learner Tool:** {PhaseTool(phase.tool).label}", ""]

    if data.assessments:
        out.append("## Assessment Methods")
        for assessment in data.assessments:
            out.append(f"* **{AssessmentKind(assessment.kind).label}**: {_continued(assessment.description)}")
            if assessment.alignment:
                out.append(f"  - Alignment: {_continued(assessment.alignment, '    ')}")
        out.append("")
    if data.audiences:
        out.append("## Differentiation Strategies")
        out += [f"* **{audience.name}**: {_continued(audience.strategy)}" for audience in data.audiences]
        out.append("")
    for kind in (
        ItemKind.CROSS_DISCIPLINARY,
        ItemKind.REAL_WORLD,
        ItemKind.METACOGNITION,
        ItemKind.EXTENSION,
        ItemKind.SAFETY,
    ):
        bullets(ITEM_HEADINGS[kind], data.items.get(kind, []))
    groups = [(heading, data.items.get(kind, [])) for kind, heading in REFLECTION_HEADINGS.items()]
    if any(texts for _, texts in groups):
        out.append("## Reflection Questions")
        for heading, texts in groups:
            if texts:
                out.extend([f"### {heading}", *(f"* {_continued(text)}" for text in texts), ""])
    for kind in (ItemKind.VIRTUAL_ADAPTATION, ItemKind.RESOURCE):
        bullets(ITEM_HEADINGS[kind], data.items.get(kind, []))
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


# --- The database side --------------------------------------------------------------------------------------


def lesson_data(lesson: Lesson) -> LessonData:
    """A lesson as stored, in the same shape `parse_lesson` produces (so the two can be compared)."""
    items: dict[str, list[str]] = {}
    for item in lesson.items.order_by("kind", "order", "id"):
        items.setdefault(item.kind, []).append(item.text)
    return LessonData(
        title=lesson.title,
        duration_minutes=lesson.duration_minutes,
        target_audience=lesson.target_audience,
        objectives=[ObjectiveData(o.text, o.bloom_level) for o in lesson.objectives.all()],
        phases=[
            PhaseData(
                name=p.name,
                duration_minutes=p.duration_minutes,
                facilitator_actions=p.facilitator_actions,
                learner_activities=p.learner_activities,
                resources_used=p.resources_used,
                differentiation=p.differentiation,
                technology_integration=p.technology_integration,
                tool=p.tool,
            )
            for p in lesson.phases.all()
        ],
        items={kind: items[kind] for kind in ItemKind.values if items.get(kind)},
        assessments=[AssessmentData(a.kind, a.description, a.alignment) for a in lesson.assessments.all()],
        audiences=[AudienceData(a.key, a.name, a.strategy) for a in lesson.audiences.all()],
    )


def export_markdown(lesson: Lesson) -> str:
    return render_lesson(lesson_data(lesson))


def import_markdown(text: str, *, allow_duration_mismatch: bool = False) -> ImportResult:
    """Create or update (by slug) the lesson a markdown plan describes; all or nothing."""
    data = parse_lesson(text)
    mismatch = data.duration_mismatch()
    if mismatch and not allow_duration_mismatch:
        raise DurationMismatchError(
            data.duration_line, f"{mismatch} (import anyway with --allow-duration-mismatch)"
        )
    with transaction.atomic():
        lesson, created = _save(data)
    return ImportResult(lesson=lesson, created=created, warnings=list(data.warnings))


def import_file(path, *, allow_duration_mismatch: bool = False) -> ImportResult:
    """Import a lesson plan file, reporting unreadable, binary or non-UTF-8 files as LessonFormatError."""
    return import_markdown(read_lesson_file(path), allow_duration_mismatch=allow_duration_mismatch)


def read_lesson_file(path) -> str:
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise LessonFormatError(None, f"cannot read {path}: {error.strerror or error}") from None
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise LessonFormatError(line, "this is a binary file, not a markdown lesson plan")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start]
        raise LessonFormatError(
            line, f"the file is not UTF-8 text (byte 0x{byte:02x}); save it as UTF-8 and import again"
        ) from None


def _save(data: LessonData) -> tuple[Lesson, bool]:
    """Write the lesson-plan sections, leaving the workshop materials (categories, case studies ...) alone."""
    lesson, created = Lesson.objects.select_for_update().get_or_create(
        slug=data.slug,
        defaults={
            "title": data.title,
            "duration_minutes": data.duration_minutes,
            "target_audience": data.target_audience,
        },
    )
    if not created:
        lesson.title = data.title
        lesson.duration_minutes = data.duration_minutes
        lesson.target_audience = data.target_audience
        lesson.save()

    lesson.objectives.all().delete()
    LearningObjective.objects.bulk_create(
        LearningObjective(lesson=lesson, order=order, text=o.text, bloom_level=o.bloom_level)
        for order, o in enumerate(data.objectives)
    )
    lesson.items.all().delete()
    LessonItem.objects.bulk_create(
        LessonItem(lesson=lesson, kind=kind, order=order, text=text)
        for kind, texts in data.items.items()
        for order, text in enumerate(texts)
    )
    lesson.assessments.all().delete()
    AssessmentMethod.objects.bulk_create(
        AssessmentMethod(
            lesson=lesson, order=i, kind=a.kind, description=a.description, alignment=a.alignment
        )
        for i, a in enumerate(data.assessments)
    )
    _save_audiences(lesson, data.audiences)
    _save_phases(lesson, data.phases)
    return lesson, created


def _save_audiences(lesson: Lesson, audiences: list[AudienceData]) -> None:
    """Update audiences by key: participants refer to an audience by its key."""
    existing = {audience.key: audience for audience in lesson.audiences.all()}
    for order, data in enumerate(audiences):
        audience = existing.pop(data.key, None) or Audience(lesson=lesson, key=data.key)
        audience.order, audience.name, audience.strategy = order, data.name, data.strategy
        audience.save()
    Audience.objects.filter(pk__in=[audience.pk for audience in existing.values()]).delete()


def _save_phases(lesson: Lesson, phases: list[PhaseData]) -> None:
    """Update phases in place by position, because live sessions keep (protected) references to them."""
    existing = list(lesson.phases.all())
    for order, data in enumerate(phases):
        phase = existing[order] if order < len(existing) else Phase(lesson=lesson)
        phase.order = order
        for attribute in (
            "name",
            "duration_minutes",
            "facilitator_actions",
            "learner_activities",
            "resources_used",
            "differentiation",
            "technology_integration",
            "tool",
        ):
            setattr(phase, attribute, getattr(data, attribute))
        phase.save()
    for surplus in existing[len(phases) :]:
        try:
            surplus.delete()
        except ProtectedError as error:
            raise PhaseInUseError(
                None,
                f"the lesson now has {len(phases)} phases, but its phase {surplus.order + 1} "
                f"'{surplus.name}' is used by {len(error.protected_objects)} live session(s) and cannot be "
                "removed; nothing was imported",
            ) from None
