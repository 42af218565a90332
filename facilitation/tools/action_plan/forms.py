"""Forms of the Evaluate phase: the rubric (peer review and summative assessment) and the facilitator's
allocation settings. Plan fields are validated in `facilitation.evaluate` against the lesson's template."""

from django import forms
from django.core.exceptions import ValidationError

from facilitation.models import NUDGE_MAX, REVIEW_STRENGTHS_MAX, REVIEW_SUGGESTION_MAX, SUMMATIVE_COMMENT_MAX
from facilitation.tools.action_plan.rules import MAX_REVIEWS_PER_PLAN


def _no_control_characters(value: str) -> None:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationError("Please remove the control characters from this text.")


def _text(label: str, max_length: int, *, required: bool, rows: int, help_text: str = ""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        strip=True,
        help_text=help_text,
        validators=[_no_control_characters],
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
        error_messages={
            "required": f"Write the {label.lower()}: it is required.",
            "max_length": f"Keep it to {max_length} characters, please.",
        },
    )


class RubricForm(forms.Form):
    """A score per criterion (1..scale_max), built from the lesson's rubric. `cleaned_scores()` gives the
    `{criterion id: score}` dict the models store."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            labels = criterion.labels()
            choices = [
                (str(n), f"{n} · {labels[n - 1]}" if n <= len(labels) else str(n))
                for n in range(1, criterion.scale_max + 1)
            ]
            self.fields[f"c{criterion.pk}"] = forms.TypedChoiceField(
                label=criterion.name,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=criterion.description,
                error_messages={"required": f"Choose a score for “{criterion.name}”."},
            )

    def criterion_fields(self):
        return [(criterion, self[f"c{criterion.pk}"]) for criterion in self.criteria]

    def cleaned_scores(self) -> dict[str, int]:
        return {str(c.pk): self.cleaned_data[f"c{c.pk}"] for c in self.criteria}


class ReviewForm(RubricForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["strengths"] = _text(
            "Strengths",
            REVIEW_STRENGTHS_MAX,
            required=True,
            rows=4,
            help_text="What works well in this plan? Be specific.",
        )
        self.fields["suggestion"] = _text(
            "One suggestion",
            REVIEW_SUGGESTION_MAX,
            required=True,
            rows=3,
            help_text="The one change that would make the plan most likely to work.",
        )

    def clean_strengths(self) -> str:
        return self._not_blank("strengths", "Write at least one strength.")

    def clean_suggestion(self) -> str:
        return self._not_blank("suggestion", "Write one suggestion.")

    def _not_blank(self, name: str, message: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise ValidationError(message)
        return value


class AssessmentForm(RubricForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"] = _text("Comment", SUMMATIVE_COMMENT_MAX, required=False, rows=4)


class AllocateForm(forms.Form):
    k = forms.IntegerField(
        min_value=1,
        max_value=MAX_REVIEWS_PER_PLAN,
        error_messages={"invalid": "Reviewers per plan must be a number."},
    )
    avoid_same_group = forms.BooleanField(required=False)


class NudgeForm(forms.Form):
    message = forms.CharField(max_length=NUDGE_MAX, required=False, validators=[_no_control_characters])
