"""Forms of breakout groups: what facilitators and learners may send, with limits and clear messages."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import (
    ANNOTATION_MAX_LENGTH,
    GROUP_TEXT_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    OBSERVATION_MAX_LENGTH,
    BreakoutGroup,
    GroupingStrategy,
    Participant,
)
from facilitation.tools.wall.forms import _no_control_characters, _tidy
from lessons.models import CaseStudy, ObstacleCategory

MAX_GROUPS = 40


class GroupingForm(forms.Form):
    strategy = forms.ChoiceField(
        choices=GroupingStrategy.choices, error_messages={"required": "Choose how to form the groups."}
    )
    by = forms.ChoiceField(choices=[("size", "People per group"), ("count", "Number of groups")])
    number = forms.IntegerField(
        min_value=1,
        max_value=MAX_GROUPS,
        error_messages={
            "required": "How many people per group, or how many groups?",
            "invalid": "Give a whole number.",
            "min_value": "Groups need at least one person.",
            "max_value": f"At most {MAX_GROUPS}.",
        },
    )
    cap = forms.IntegerField(
        min_value=1,
        max_value=MAX_GROUPS,
        required=False,
        error_messages={"invalid": "Give a whole number.", "min_value": "A cap is at least 1."},
    )

    def options(self) -> dict:
        data = self.cleaned_data
        size = data["number"] if data["by"] == "size" else None
        count = data["number"] if data["by"] == "count" else None
        return {"strategy": data["strategy"], "size": size, "count": count, "cap": data.get("cap")}


class FieldSaveForm(forms.Form):
    """One shared field: its text (or checked options) and the version the person's text is based on."""

    version = forms.IntegerField(
        min_value=0, error_messages={"required": "Reload the page, then save again."}
    )
    client = forms.CharField(max_length=40, required=False)
    value = forms.CharField(
        max_length=GROUP_TEXT_MAX_LENGTH,
        required=False,
        strip=False,
        validators=[_no_control_characters],
        error_messages={
            "max_length": f"Keep it to {GROUP_TEXT_MAX_LENGTH} characters, please. Nothing was saved."
        },
    )

    def clean_value(self) -> str:
        return self.cleaned_data["value"].strip()


class GroupNameForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        validators=[_no_control_characters],
        error_messages={"required": "Give the group a name.", "max_length": "Keep it to 80 characters."},
    )

    def clean_name(self) -> str:
        name = _tidy(self.cleaned_data["name"])
        if not name:
            raise ValidationError("Give the group a name.")
        return name


class CaseChoiceForm(forms.Form):
    case_study = forms.ModelChoiceField(queryset=CaseStudy.objects.none(), required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_study"].queryset = CaseStudy.objects.published().filter(lesson_id=session.lesson_id)
        self.fields["case_study"].error_messages["invalid_choice"] = (
            "Choose one of this lesson's case studies."
        )


def _http_only(value: str) -> None:
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:  # e.g. "https://[": the URL validator already says it is not a web address
        return
    if value and scheme not in {"http", "https"}:
        raise ValidationError("Use a link that starts with https:// (or http://).")


class MeetingLinkForm(forms.Form):
    meeting_url = forms.URLField(
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[_http_only],
        error_messages={
            "invalid": "That is not a web address. Paste the meeting link, e.g. https://meet.example.org/room.",
            "max_length": "That link is too long (500 characters at most).",
        },
    )


# The ids a 64-bit integer column holds (SQLite's and PostgreSQL's bigint).
DATABASE_INTEGERS = range(-(2**63), 2**63)


class ChoicesById(forms.ModelMultipleChoiceField):
    """Django's field asks the database for every posted id, and an id past what the column holds makes SQLite
    raise OverflowError (a 500): such an id is no choice of this field, refused as any unknown one."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if text.isascii() and text.lstrip("-").isdigit() and int(text) not in DATABASE_INTEGERS:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class CategoriesForm(forms.Form):
    categories = ChoicesById(queryset=None, required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = session.lesson.categories.all()
        self.fields["categories"].error_messages["invalid_choice"] = (
            "Choose this lesson's obstacle categories."
        )


class MoveForm(forms.Form):
    participant = forms.ModelChoiceField(queryset=Participant.objects.none())
    group = forms.ModelChoiceField(queryset=BreakoutGroup.objects.none())

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(session=session)
        self.fields["group"].queryset = BreakoutGroup.objects.filter(
            grouping__session=session, grouping__active=True
        )
        self.fields["participant"].error_messages["invalid_choice"] = "This person is not in this session."
        self.fields["group"].error_messages["invalid_choice"] = "Choose one of the current groups."


class MessageForm(forms.Form):
    text = forms.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        validators=[_no_control_characters],
        error_messages={
            "required": "Write the message first.",
            "max_length": f"Keep it to {MESSAGE_MAX_LENGTH} characters.",
        },
    )

    def clean_text(self) -> str:
        text = _tidy(self.cleaned_data["text"])
        if not text:
            raise ValidationError("Write the message first.")
        return text


class ObservationForm(forms.Form):
    text = forms.CharField(
        max_length=OBSERVATION_MAX_LENGTH,
        validators=[_no_control_characters],
        error_messages={
            "required": "Write what you observed first.",
            "max_length": f"Keep it to {OBSERVATION_MAX_LENGTH} characters.",
        },
    )
    participant = forms.ModelChoiceField(queryset=Participant.objects.none(), required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Participant.objects.filter(session=session)
        self.fields["participant"].error_messages["invalid_choice"] = "This person is not in this session."

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("Write what you observed first.")
        return text


class AnnotationForm(forms.Form):
    quote = forms.CharField(
        max_length=ANNOTATION_MAX_LENGTH,
        strip=False,
        error_messages={
            "required": "Select a passage of the case first.",
            "max_length": f"Select a shorter passage ({ANNOTATION_MAX_LENGTH} characters at most).",
        },
    )
    start = forms.IntegerField(min_value=0, required=False)
    comment = forms.CharField(
        max_length=ANNOTATION_MAX_LENGTH,
        required=False,
        validators=[_no_control_characters],
        error_messages={"max_length": f"Keep the comment to {ANNOTATION_MAX_LENGTH} characters."},
    )
    category: forms.ModelChoiceField[ObstacleCategory] = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = session.lesson.categories.all()
        self.fields["category"].error_messages["invalid_choice"] = "Choose one of the obstacle categories."

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("comment", "").strip() and not data.get("category"):
            raise ValidationError("Add a comment or choose an obstacle category.")
        data["start"] = data.get("start") or 0
        if "quote" in data and not data["quote"].strip():
            self.add_error("quote", "Select a passage of the case first.")
        return data
