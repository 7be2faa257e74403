"""Forms for the case review pages. They parse and validate input; services decide."""

from __future__ import annotations

from django import forms

from accounts.models import User
from inspections.choices import AnswerValue, parse_yes_no
from inspections.models import Question

from .models import CaseReview
from .services import ATTRIBUTE_FIELDS, AnswerInput

ANSWER_PREFIX = "answer-"
NOTE_PREFIX = "note-"


class GovukIdsMixin:
    """A field's id is its name, as the GOV.UK templates write them, so error links land on it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class VersionedForm(GovukIdsMixin, forms.Form):
    # The version the page was loaded at: a save names it so a stale edit is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class YesNoField(forms.TypedChoiceField):
    """A GOV.UK yes/no radio group for a boolean.

    Only the two offered values are accepted: anything else is an error naming the field,
    never a guess (Django's BooleanField reads any non-empty text, "maybe" too, as True).
    The offered value is read by the project's one yes/no parser.
    """

    widget = forms.RadioSelect

    def __init__(self, *, label: str, required: bool = True, **kwargs):
        message = f"Select yes or no for {label[0].lower()}{label[1:]}"
        super().__init__(
            choices=[("yes", "Yes"), ("no", "No")],
            coerce=parse_yes_no,
            empty_value=None,
            required=required,
            label=label,
            error_messages={"required": message, "invalid_choice": message},
            **kwargs,
        )

    def prepare_value(self, value):
        """The radio to check for a stored True or False; posted text is shown as it came."""
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return value

    def has_changed(self, initial, data) -> bool:
        return (self.prepare_value(initial) or "") != (data or "")


class CaseDetailsForm(GovukIdsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    domestic_abuse = YesNoField(label="Domestic abuse concerns")
    child_safeguarding = YesNoField(label="Child safeguarding concerns")
    # Nullable: "not recorded" is a stored answer for this one.
    same_practitioner = YesNoField(label="Same practitioner throughout", required=False)
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the change",
        help_text="Needed when the case review has already been submitted",
    )
    # Shown (as a checkbox) only after a save was refused because answers would stop applying.
    confirm_removal = forms.TypedChoiceField(
        choices=[("true", "Yes, remove them")],
        coerce=lambda value: value == "true",
        required=False,
        empty_value=False,
        widget=forms.HiddenInput,
    )

    class Meta:
        model = CaseReview
        fields = ATTRIBUTE_FIELDS
        labels = {"practitioner_months_in_service": "Practitioner's months in service"}

    def attributes(self) -> dict:
        return {field: self.cleaned_data[field] for field in ATTRIBUTE_FIELDS}


class NewCaseForm(GovukIdsMixin, forms.ModelForm):
    inspector = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Not assigned yet")

    class Meta:
        model = CaseReview
        fields = ["case_reference", "inspector", "case_type", "court_report"]
        help_texts = {"case_reference": "The case reference only, such as X123456. Never a name."}

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.inspection = inspection
        self.fields["inspector"].queryset = inspection.team.order_by("first_name", "last_name")

    def clean_case_reference(self):
        reference = self.cleaned_data["case_reference"].strip().upper()
        if CaseReview.objects.filter(inspection=self.inspection, case_reference=reference).exists():
            raise forms.ValidationError(f"{reference} is already in this inspection's sample")
        return reference


class SectionForm(VersionedForm):
    """One standard's key questions and prompts as yes / no / not applicable radios.

    Every answer is optional here: an inspector may save an incomplete section at
    any time. Completeness is checked only on "Submit for quality assurance".
    """

    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            choices = [(AnswerValue.YES, "Yes"), (AnswerValue.NO, "No")]
            if q.allows_not_applicable:
                choices.append((AnswerValue.NOT_APPLICABLE, "Not applicable"))
            self.fields[ANSWER_PREFIX + q.code] = forms.ChoiceField(
                choices=choices, required=False, label=f"{q.code} {q.text}", widget=forms.RadioSelect
            )
            if q.kind == Question.Kind.KEY_QUESTION or q.standard_id is None:
                self.fields[NOTE_PREFIX + q.code] = forms.CharField(
                    required=False, label=f"Evidence for {q.code}", widget=forms.Textarea(attrs={"rows": 3})
                )

    def answers(self) -> dict[str, AnswerInput]:
        """The answers given; a question left blank is not an answer and counts nowhere."""
        given = {}
        for q in self.questions:
            value = self.cleaned_data.get(ANSWER_PREFIX + q.code)
            if value:
                given[q.code] = AnswerInput(value=value, note=self.cleaned_data.get(NOTE_PREFIX + q.code, ""))
        return given


class ReturnForm(GovukIdsMixin, forms.Form):
    general = forms.CharField(
        required=False, label="Comment on the whole case", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[f"comment-{q.code}"] = forms.CharField(
                required=False, label=f"{q.code} {q.text}", widget=forms.Textarea(attrs={"rows": 2})
            )

    def comments(self) -> dict[str | None, str]:
        comments: dict[str | None, str] = {None: self.cleaned_data.get("general", "")}
        comments.update({q.code: self.cleaned_data.get(f"comment-{q.code}", "") for q in self.questions})
        return comments


class ReassignForm(GovukIdsMixin, forms.Form):
    inspector = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason for reassigning")

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = inspection.team.order_by("first_name", "last_name")
