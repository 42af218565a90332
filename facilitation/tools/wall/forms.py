"""Forms of the brainstorm wall: what learners and facilitators may type, with friendly limits."""

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import MAX_VOTES_PER_PERSON, NOTE_MAX_LENGTH, Cluster, NoteColour


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError("Please remove the control characters from this text.")


def _tidy(value: str) -> str:
    return " ".join(value.split())


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label="Your note",
        validators=[_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={
            "required": "Write something first.",
            "max_length": f"Keep it to {NOTE_MAX_LENGTH} characters, please.",
        },
    )
    colour = forms.ChoiceField(choices=NoteColour.choices, required=False)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("Write something first.")
        return text

    def clean_colour(self) -> str:
        return self.cleaned_data["colour"] or NoteColour.YELLOW


class VotingForm(forms.Form):
    votes = forms.IntegerField(
        min_value=1,
        max_value=MAX_VOTES_PER_PERSON,
        error_messages={"invalid": "Votes per person must be a number."},
    )


class PromptForm(forms.Form):
    prompt = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False, validators=[_no_control_characters])

    def clean_prompt(self) -> str:
        return _tidy(self.cleaned_data["prompt"])


class ClusterNameForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        validators=[_no_control_characters],
        error_messages={"required": "Give the cluster a name.", "max_length": "Keep it to 60 characters."},
    )

    def clean_name(self) -> str:
        name = _tidy(self.cleaned_data["name"])
        if not name:
            raise ValidationError("Give the cluster a name.")
        return name


class ClusterChoiceForm(forms.Form):
    """A cluster of this session, or none (`cluster` empty: back to the unclustered notes)."""

    cluster = forms.ModelChoiceField(queryset=Cluster.objects.none(), required=False)

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cluster"].queryset = Cluster.objects.filter(session=session)
