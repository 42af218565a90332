"""Forms of the coaching queue, the confidence self-assessment and the reflections, with friendly limits.

The self-assessment and reflection forms are built from the lesson's data (its domains, its reflection
questions), so one form class serves any lesson."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import CONFIDENCE_MAX, CONFIDENCE_MIN, HELP_MESSAGE_MAX, REFLECTION_MAX


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError("Please remove the control characters from this text.")


class HelpForm(forms.Form):
    message = forms.CharField(
        max_length=HELP_MESSAGE_MAX,
        label="What do you need help with?",
        validators=[_no_control_characters],
        error_messages={
            "required": "Tell the facilitator in a few words what you need.",
            "max_length": f"Keep it to {HELP_MESSAGE_MAX} characters, please.",
        },
    )

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError("Tell the facilitator in a few words what you need.")
        return message


CONFIDENCE_CHOICES = [(value, str(value)) for value in range(CONFIDENCE_MIN, CONFIDENCE_MAX + 1)]


class ConfidenceForm(forms.Form):
    """One 1-5 rating per domain of the lesson; every domain must be rated."""

    def __init__(self, *args, domains, **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = list(domains)
        for domain in self.domains:
            self.fields[f"domain-{domain.pk}"] = forms.TypedChoiceField(
                label=domain.name,
                choices=CONFIDENCE_CHOICES,
                coerce=int,
                error_messages={
                    "required": f"Rate your confidence in {domain.name}.",
                    "invalid_choice": f"Choose a number from {CONFIDENCE_MIN} to {CONFIDENCE_MAX}.",
                },
            )

    def ratings(self) -> dict[int, int]:
        """{domain id: value} of a valid form."""
        return {domain.pk: self.cleaned_data[f"domain-{domain.pk}"] for domain in self.domains}


class ReflectionForm(forms.Form):
    """One answer per question. Answers are optional one by one, but an empty form is not a reflection."""

    def __init__(self, *args, questions, require_one: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self.require_one = require_one
        for item in self.questions:
            self.fields[f"item-{item.pk}"] = forms.CharField(
                label=item.text,
                required=False,
                max_length=REFLECTION_MAX,
                strip=True,
                validators=[_no_control_characters],
                error_messages={"max_length": f"Keep this answer to {REFLECTION_MAX} characters, please."},
            )

    def clean(self):
        cleaned = super().clean()
        if self.require_one and not self.errors and not any(cleaned.get(name) for name in self.fields):
            raise ValidationError("Answer at least one question before you save.")
        return cleaned

    def answers(self) -> dict[int, str]:
        """{item id: text} of a valid form, empty answers included (they clear a saved answer)."""
        return {item.pk: self.cleaned_data[f"item-{item.pk}"] for item in self.questions}
