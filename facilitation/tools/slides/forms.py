"""Forms of the Explain phase: a learner's question, with friendly limits."""

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import QUESTION_MAX_LENGTH


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError("Please remove the control characters from this text.")


class QuestionForm(forms.Form):
    text = forms.CharField(
        max_length=QUESTION_MAX_LENGTH,
        label="Your question",
        validators=[_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": QUESTION_MAX_LENGTH}),
        error_messages={
            "required": "Write your question first.",
            "max_length": f"Keep it to {QUESTION_MAX_LENGTH} characters, please.",
        },
    )
    show_name = forms.BooleanField(required=False, label="Show my name with it")

    def clean_text(self) -> str:
        text = " ".join(self.cleaned_data["text"].split())
        if not text:
            raise ValidationError("Write your question first.")
        return text


class PositionForm(forms.Form):
    index = forms.IntegerField(min_value=0, error_messages={"invalid": "Choose a slide."})


class HighlightForm(forms.Form):
    component = forms.IntegerField(required=False, min_value=1)
