"""A lesson's workshop materials (domains, obstacle categories with their assessment worksheet, case
studies, the action-plan template and the peer-review rubric), loaded from a JSON document such as
fixtures/demo/integration-maze.json:

    {
      "lesson_title": "...",    (or "lesson_slug"; the lesson must exist already: import its markdown first)
      "ops_domains": [{"name", "description"}],
      "obstacle_categories": [{"slug", "name", "explanation", "domains": [domain names],
                               "worksheet_items": [{"prompt", "example", "deeper_prompt"}]}],
      "case_studies": [{"slug", "title", "organization", "complexity", "scenario" (markdown),
                        "categories": [category slugs], "questions": [text], "published"}],
      "action_plan_fields": [{"key", "label", "help_text", "novice_prompt", "stretch_prompt", "required",
                              "max_length"}],
      "rubric_criteria": [{"name", "description", "scale_max", "scale_labels": [label for 1, 2, ...]}]
    }

Every section is optional and list order becomes `order`. Other top-level keys are ignored, so later
features (polls per phase, a Wardley map, slides) can keep their sections in the same file without breaking
this loader.

The whole document is checked before anything is written, and written in one transaction, so a bad file
changes nothing. Rows are updated in place, matched by their natural key (domain name, category slug,
case-study slug, plan-field key, criterion name; worksheet items and discussion questions by position): live
sessions' worksheet answers, action plans and reviews point at these rows, so reloading must keep their ids.
Rows the file does not mention, for example a case study an author added in admin, are left alone."""

import json
from pathlib import Path
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import models, transaction
from django.utils.text import slugify

from lessons.models import (
    ActionPlanField,
    CaseStudy,
    Complexity,
    DiscussionQuestion,
    Lesson,
    ObstacleCategory,
    OpsDomain,
    RubricCriterion,
    WorksheetItem,
)

FORMAT_VERSION = 1


class MaterialsError(ValueError):
    """The document cannot be loaded; `problems` lists every reason, each saying where in the document."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Cannot load materials:\n" + "\n".join(f"- {problem}" for problem in problems))


def lesson_slug(data: dict) -> str:
    """The slug of the lesson a document is for: given, or derived from the title like the importer does."""
    if not isinstance(data, dict):
        return ""
    return str(data.get("lesson_slug") or slugify(str(data.get("lesson_title") or "")))


def read_file(path: Path | str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise MaterialsError([f"{path} is not valid JSON: {error}"]) from error


def summary(lesson: Lesson) -> str:
    """One line saying what a lesson's materials hold, for commands to print after loading."""
    counts = [
        (lesson.domains.count(), "domains"),
        (lesson.categories.count(), "obstacle categories"),
        (WorksheetItem.objects.filter(category__lesson=lesson).count(), "worksheet items"),
        (lesson.case_studies.count(), "case studies"),
        (lesson.action_plan_fields.count(), "action-plan fields"),
        (lesson.rubric_criteria.count(), "rubric criteria"),
    ]
    return ", ".join(f"{count} {label}" for count, label in counts)


def load_materials(data: dict) -> Lesson:
    """Check the whole document, then upsert its materials onto the lesson it names; return that lesson."""
    lesson, materials = _check(data)
    _write(lesson, materials)
    return lesson


# --- Checking -----------------------------------------------------------------------------------------------


def _max(model: type[models.Model], field: str) -> int | None:
    return cast(models.Field, model._meta.get_field(field)).max_length  # asked only about model fields


class _Checker:
    """Reads values out of the document, collecting problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def objects(self, data: dict, key: str, where: str) -> list[tuple[str, dict]]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.add(where, f"'{key}' must be a list")
            return []
        rows = []
        for index, row in enumerate(value):
            row_where = f"{where}{key}[{index}]"
            if isinstance(row, dict):
                rows.append((row_where, row))
            else:
                self.add(row_where, "must be an object")
        return rows

    def text(
        self, where: str, row: dict, key: str, *, required: bool = True, max_length: int | None = None
    ) -> str:
        value = row.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, f"'{key}' is missing")
            return ""
        if not isinstance(value, str):
            self.add(where, f"'{key}' must be text")
            return ""
        value = value.strip()
        if max_length and len(value) > max_length:
            self.add(where, f"'{key}' is {len(value)} characters long, the limit is {max_length}")
        return value

    def slug(self, where: str, row: dict, key: str, max_length: int | None) -> str:
        value = self.text(where, row, key, max_length=max_length)
        if value:
            try:
                validate_slug(value)
            except ValidationError:
                self.add(where, f"'{key}' {value!r} is not a slug (letters, digits, hyphens, underscores)")
        return value

    def boolean(self, where: str, row: dict, key: str, default: bool) -> bool:
        value = row.get(key, default)
        if not isinstance(value, bool):
            self.add(where, f"'{key}' must be true or false")
            return default
        return value

    def integer(self, where: str, row: dict, key: str, default: int, minimum: int, maximum: int) -> int:
        value = row.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.add(where, f"'{key}' must be a whole number from {minimum} to {maximum}")
            return default
        return value

    def texts(self, where: str, row: dict, key: str) -> list[str]:
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            self.add(where, f"'{key}' must be a list of non-empty texts")
            return []
        return [item.strip() for item in value]

    def unique(self, where: str, kind: str, value: str, seen: set[str]) -> None:
        if value and value in seen:
            self.add(where, f"{kind} {value!r} appears twice")
        seen.add(value)


def _check(data: Any) -> tuple[Lesson, dict]:
    if not isinstance(data, dict):
        raise MaterialsError(["the document must be a JSON object"])
    check = _Checker()
    version = data.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        check.add(
            "format_version", f"version {version!r} is not supported (this loader reads {FORMAT_VERSION})"
        )

    slug = lesson_slug(data)
    lesson = Lesson.objects.filter(slug=slug).first() if slug else None
    if not slug:
        check.add("document", "'lesson_title' or 'lesson_slug' is missing")
    elif lesson is None:
        check.add("document", f"no lesson with slug {slug!r}; import the lesson plan before its materials")

    materials = {
        "ops_domains": _check_domains(check, data),
        "obstacle_categories": [],
        "case_studies": [],
        "action_plan_fields": _check_plan_fields(check, data),
        "rubric_criteria": _check_rubric(check, data),
    }
    domain_names = {row["name"] for row in materials["ops_domains"]}
    if lesson:
        domain_names |= set(lesson.domains.values_list("name", flat=True))
    materials["obstacle_categories"] = _check_categories(check, data, domain_names)
    category_slugs = {row["slug"] for row in materials["obstacle_categories"]}
    if lesson:
        category_slugs |= set(lesson.categories.values_list("slug", flat=True))
    materials["case_studies"] = _check_case_studies(check, data, category_slugs)

    if check.problems or lesson is None:  # no lesson is one of the problems
        raise MaterialsError(check.problems)
    return lesson, materials


def _check_domains(check: _Checker, data: dict) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for where, row in check.objects(data, "ops_domains", ""):
        name = check.text(where, row, "name", max_length=_max(OpsDomain, "name"))
        check.unique(where, "domain", name, seen)
        rows.append({"name": name, "description": check.text(where, row, "description", required=False)})
    return rows


def _check_categories(check: _Checker, data: dict, domain_names: set[str]) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for where, row in check.objects(data, "obstacle_categories", ""):
        slug = check.slug(where, row, "slug", _max(ObstacleCategory, "slug"))
        check.unique(where, "category slug", slug, seen)
        domains = check.texts(where, row, "domains")
        for name in domains:
            if name not in domain_names:
                check.add(
                    where, f"unknown domain {name!r} (known: {', '.join(sorted(domain_names)) or 'none'})"
                )
        items = [
            {
                "prompt": check.text(item_where, item, "prompt"),
                "example": check.text(item_where, item, "example", required=False),
                "deeper_prompt": check.text(item_where, item, "deeper_prompt", required=False),
            }
            for item_where, item in check.objects(row, "worksheet_items", f"{where}.")
        ]
        rows.append(
            {
                "slug": slug,
                "name": check.text(where, row, "name", max_length=_max(ObstacleCategory, "name")),
                "explanation": check.text(where, row, "explanation"),
                "domains": domains,
                "worksheet_items": items,
            }
        )
    return rows


def _check_case_studies(check: _Checker, data: dict, category_slugs: set[str]) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for where, row in check.objects(data, "case_studies", ""):
        slug = check.slug(where, row, "slug", _max(CaseStudy, "slug"))
        check.unique(where, "case study slug", slug, seen)
        complexity = row.get("complexity", Complexity.INTERMEDIATE)
        if complexity not in Complexity.values:
            check.add(where, f"complexity {complexity!r} is not one of {', '.join(Complexity.values)}")
        categories = check.texts(where, row, "categories")
        for category in categories:
            if category not in category_slugs:
                check.add(where, f"unknown obstacle category {category!r}")
        rows.append(
            {
                "slug": slug,
                "title": check.text(where, row, "title", max_length=_max(CaseStudy, "title")),
                "organization": check.text(
                    where, row, "organization", required=False, max_length=_max(CaseStudy, "organization")
                ),
                "scenario": check.text(where, row, "scenario"),
                "complexity": complexity,
                "published": check.boolean(where, row, "published", default=False),
                "categories": categories,
                "questions": check.texts(where, row, "questions"),
            }
        )
    return rows


def _check_plan_fields(check: _Checker, data: dict) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for where, row in check.objects(data, "action_plan_fields", ""):
        key = check.slug(where, row, "key", _max(ActionPlanField, "key"))
        check.unique(where, "action-plan field key", key, seen)
        rows.append(
            {
                "key": key,
                "label": check.text(where, row, "label", max_length=_max(ActionPlanField, "label")),
                "help_text": check.text(where, row, "help_text", required=False),
                "novice_prompt": check.text(where, row, "novice_prompt", required=False),
                "stretch_prompt": check.text(where, row, "stretch_prompt", required=False),
                "required": check.boolean(where, row, "required", default=True),
                "max_length": check.integer(where, row, "max_length", 2000, minimum=1, maximum=20000),
            }
        )
    return rows


def _check_rubric(check: _Checker, data: dict) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for where, row in check.objects(data, "rubric_criteria", ""):
        name = check.text(where, row, "name", max_length=_max(RubricCriterion, "name"))
        check.unique(where, "rubric criterion", name, seen)
        scale_max = check.integer(where, row, "scale_max", 4, minimum=2, maximum=10)
        labels = check.texts(where, row, "scale_labels")
        if labels and len(labels) != scale_max:
            check.add(where, f"{len(labels)} scale labels for a scale of 1 to {scale_max}")
        if any("," in label for label in labels):
            check.add(where, "scale labels cannot contain commas")
        joined = ", ".join(labels)
        if len(joined) > cast(int, _max(RubricCriterion, "scale_labels")):
            check.add(where, "scale labels are too long")
        rows.append(
            {
                "name": name,
                "description": check.text(where, row, "description"),
                "scale_max": scale_max,
                "scale_labels": joined,
            }
        )
    return rows


# --- Writing ------------------------------------------------------------------------------------------------


M = TypeVar("M", bound=models.Model)


def _upsert(model: type[M], lookup: dict, values: dict) -> M:
    """Create the row or update the first match; a row that already holds these values is not written."""
    # Django's metaclass gives each of these models its `objects`; the stubs do not know it on type[Model].
    row = model.objects.filter(**lookup).order_by("id").first()  # type: ignore[attr-defined]
    if row is None:
        return model.objects.create(**lookup, **values)  # type: ignore[attr-defined]
    changed = [field for field, value in values.items() if getattr(row, field) != value]
    if changed:
        for field in changed:
            setattr(row, field, values[field])
        row.save(update_fields=changed)
    return row


def _upsert_by_position(model: type[models.Model], parent: dict, rows: list[dict]) -> None:
    for order, values in enumerate(rows):
        _upsert(model, {**parent, "order": order}, values)


@transaction.atomic
def _write(lesson: Lesson, materials: dict) -> None:
    for order, row in enumerate(materials["ops_domains"]):
        _upsert(
            OpsDomain,
            {"lesson": lesson, "name": row["name"]},
            {"order": order, "description": row["description"]},
        )
    domains = {domain.name: domain for domain in lesson.domains.all()}

    for order, row in enumerate(materials["obstacle_categories"]):
        values = {"order": order, "name": row["name"], "explanation": row["explanation"]}
        category = _upsert(ObstacleCategory, {"lesson": lesson, "slug": row["slug"]}, values)
        category.domains.set([domains[name] for name in row["domains"]])
        _upsert_by_position(WorksheetItem, {"category": category}, row["worksheet_items"])
    categories = {category.slug: category for category in lesson.categories.all()}

    for order, row in enumerate(materials["case_studies"]):
        fields = ("title", "organization", "scenario", "complexity", "published")
        values = {"order": order, **{field: row[field] for field in fields}}
        case_study = _upsert(CaseStudy, {"lesson": lesson, "slug": row["slug"]}, values)
        case_study.categories.set([categories[slug] for slug in row["categories"]])
        questions = [{"text": text} for text in row["questions"]]
        _upsert_by_position(DiscussionQuestion, {"case_study": case_study}, questions)

    for order, row in enumerate(materials["action_plan_fields"]):
        values = {"order": order, **{field: value for field, value in row.items() if field != "key"}}
        _upsert(ActionPlanField, {"lesson": lesson, "key": row["key"]}, values)

    for order, row in enumerate(materials["rubric_criteria"]):
        values = {"order": order, **{field: value for field, value in row.items() if field != "name"}}
        _upsert(RubricCriterion, {"lesson": lesson, "name": row["name"]}, values)
