from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from facilitation.live.regions import learner_levels
from facilitation.models import CODE_LENGTH, LiveSession, Role, normalize_code
from lessons.models import ItemKind, Lesson


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError("Please remove the control characters from this text.")


class CreateSessionForm(forms.Form):
    lesson = forms.ModelChoiceField(queryset=Lesson.objects.all(), empty_label=None)
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Optional, e.g. 'Cohort 3, Berlin'. Defaults to the lesson title.",
    )


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Join code",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"}
        ),
    )

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if len(code) != CODE_LENGTH:
            raise ValidationError(f"A join code has {CODE_LENGTH} letters and digits, like K7WQ3D.")
        return code


class JoinForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        label="Your name",
        help_text="Shown to the facilitator; what you post to the room is anonymous unless they say otherwise.",
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    experience = forms.ChoiceField(label="Your experience", widget=forms.RadioSelect)
    # No role is chosen for the learner: one who skips the field would be counted in the first role, skewing
    # the by-role heatmap and grouping. "Prefer not to say" is an answer; an empty choice is not.
    role = forms.ChoiceField(
        label="Your role",
        choices=[("", "Choose…"), *Role.choices],
        error_messages={"required": "Please choose your role, or “Prefer not to say”."},
    )
    acknowledge = forms.BooleanField(
        label="I will keep what others share here confidential.",
        error_messages={"required": "Please confirm you will keep what others share confidential."},
    )

    def __init__(self, *args, session: LiveSession, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        experience = cast(forms.ChoiceField, self.fields["experience"])  # Form.fields holds plain Fields
        experience.choices = [
            (key, audience.name if audience else "General") for key, audience in learner_levels(session)
        ]
        if len(experience.choices) == 1:
            experience.initial = experience.choices[0][0]
        self.safety = [item.text for item in session.lesson.items.filter(kind=ItemKind.SAFETY)]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        _no_control_characters(name)
        if not name:
            raise ValidationError("Please enter a name.")
        return name
