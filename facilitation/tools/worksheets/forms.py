"""What a learner may send for one worksheet item, with messages a person can act on."""

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import SEVERITY_CHOICES, WORKSHEET_COMMENT_MAX


class AnswerForm(forms.Form):
    """One item's whole state, sent on every change: what the page shows is what gets stored.

    `version` is the stored version the page last saw; `force_version` is sent by "Keep mine" after a
    conflict: the learner saw that newer version and chose to replace it."""

    severity = forms.TypedChoiceField(
        choices=[("", "Not rated"), *SEVERITY_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a severity from 1 (not an issue) to 5 (critical)."},
    )
    not_applicable = forms.BooleanField(required=False)
    comment = forms.CharField(required=False, strip=True)
    version = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": "This page is out of date: reload it to keep working. Copy your comment first.",
            "invalid": "This page is out of date: reload it to keep working. Copy your comment first.",
            "min_value": "This page is out of date: reload it to keep working. Copy your comment first.",
        },
    )
    force_version = forms.IntegerField(min_value=0, required=False)

    def clean_comment(self) -> str:
        # Browsers count a line break as one character but send two (\r\n): count what the person sees.
        comment = self.cleaned_data["comment"].replace("\r\n", "\n").replace("\r", "\n")
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in comment):
            raise ValidationError("Please remove the control characters from your comment.")
        if len(comment) > WORKSHEET_COMMENT_MAX:
            raise ValidationError(
                f"Keep your comment to {WORKSHEET_COMMENT_MAX} characters (it has {len(comment)}). "
                "It is not saved yet: shorten it and it will be."
            )
        return comment

    @property
    def base_version(self) -> int:
        forced = self.cleaned_data.get("force_version")
        return self.cleaned_data["version"] if forced is None else forced

    def answer_values(self) -> dict:
        return {
            "severity": self.cleaned_data["severity"],
            "applies": not self.cleaned_data["not_applicable"],
            "comment": self.cleaned_data["comment"],
        }
