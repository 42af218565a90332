"""Forms for polls: the facilitator's ad hoc poll, and a learner's answer (fields depend on the poll's kind)."""

from __future__ import annotations

from django import forms

from facilitation.models import TEXT_MAX, WORD_MAX, Poll, PollKind


class PollForm(forms.ModelForm):
    """A poll written during the session. The model's `clean` checks options, scale and correct option, so
    admin and this form share one set of rules."""

    class Meta:
        model = Poll
        fields = [
            "kind",
            "question",
            "options_text",
            "correct_option",
            "scale_min",
            "scale_max",
            "scale_min_label",
            "scale_max_label",
            "show_results_live",
        ]
        widgets = {
            "options_text": forms.Textarea(attrs={"rows": 4, "placeholder": "One option per line"}),
            "question": forms.TextInput(attrs={"placeholder": "What do you want to ask the room?"}),
            "scale_min": forms.NumberInput(attrs={"min": 0, "max": 9}),
            "scale_max": forms.NumberInput(attrs={"min": 1, "max": 10}),
            "correct_option": forms.NumberInput(attrs={"min": 1, "max": 10}),
        }
        labels = {"show_results_live": "Show results live (otherwise hidden until you reveal them)"}
        # The panel's labels say what the model's help texts (written for authors in admin) say; with help texts
        # Django would point each input's aria-describedby at help the panel does not show.
        help_texts = dict.fromkeys(fields, "")


class AnswerForm(forms.Form):
    """A learner's answer; only the field the poll's kind uses is present."""

    def __init__(self, poll: Poll, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        kind = poll.kind
        if kind in {PollKind.SINGLE, PollKind.QUIZ}:
            self.fields["choice"] = forms.TypedChoiceField(
                choices=list(enumerate(poll.options)), coerce=int, error_messages={"required": "Choose one."}
            )
        elif kind == PollKind.MULTIPLE:
            self.fields["choice"] = forms.TypedMultipleChoiceField(
                choices=list(enumerate(poll.options)),
                coerce=int,
                error_messages={"required": "Choose at least one."},
            )
        elif kind == PollKind.SCALE:
            self.fields["rating"] = forms.TypedChoiceField(
                choices=[(v, v) for v in poll.scale_values],
                coerce=int,
                error_messages={"required": "Choose a value."},
            )
        elif kind == PollKind.WORDS:
            self.fields["text"] = forms.CharField(
                max_length=WORD_MAX, error_messages={"required": "Type a word or two."}
            )
        else:
            self.fields["text"] = forms.CharField(
                max_length=TEXT_MAX, error_messages={"required": "Write your answer."}
            )

    def answer_values(self) -> dict:
        """The answer's fields for `PollAnswer`, from the cleaned data."""
        data = self.cleaned_data
        choice = data.get("choice")
        if isinstance(choice, int):
            choices = [choice]
        else:
            choices = sorted(set(choice or []))
        return {"choices": choices, "rating": data.get("rating"), "text": data.get("text", "")}

    @property
    def first_error(self) -> str:
        for errors in self.errors.values():
            # An ErrorList item is its message (str); the stubs say ValidationError | str.
            return errors[0]  # type: ignore[return-value]
        return ""
