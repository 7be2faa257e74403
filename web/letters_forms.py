"""Forms for recommendations and the regional letter composer. They parse; the services decide.

Built with `auto_id="%s"`, so a field's id is its (prefixed) name and the error summary's
links land on it. Dates are GOV.UK date inputs: three fields, day, month and year.
"""

from __future__ import annotations

import datetime

from django import forms

from inspections.models import Addressee, Inspection, Question, RegionalFinding
from ratings.figures import ANSWERS, KINDS
from regions.models import Region


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class _DateMixin:
    """A GOV.UK date input for `letter_date`: fields letter_date_day, _month and _year."""

    def _date_fields(self, initial: datetime.date | None):
        for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
            self.fields[f"letter_date_{part}"] = forms.IntegerField(
                label=label,
                required=False,
                initial=getattr(initial, part) if initial else None,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
                error_messages={"invalid": "The letter's date must be a real date, in numbers"},
            )

    def _clean_date(self, cleaned: dict) -> None:
        parts = [cleaned.get(f"letter_date_{part}") for part in ("day", "month", "year")]
        if any(self.has_error(f"letter_date_{p}") for p in ("day", "month", "year")):
            return
        if not all(parts):
            self.add_error("letter_date_day", "Enter the letter's date, with day, month and year")
            return
        try:
            cleaned["letter_date"] = datetime.date(parts[2], parts[1], parts[0])
        except (ValueError, OverflowError):  # OverflowError: a number too big for a date's part, not a 500
            self.add_error("letter_date_day", "The letter's date must be a real date")


class RecommendationForm(_Form):
    addressee = forms.ChoiceField(
        choices=Addressee.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the recommendation is for"},
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the recommendation"},
    )


class ReviewStartForm(_DateMixin, _Form):
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        empty_label="Choose a region",
        error_messages={"required": "Choose the region the letter is to", "invalid_choice": "Choose a region"},
    )
    inspections = forms.ModelMultipleChoiceField(
        queryset=Inspection.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the published inspections the letter covers"},
    )
    addressee = forms.CharField(
        max_length=200, error_messages={"required": "Enter the name and title of the Regional Probation Director"}
    )
    slug = forms.SlugField(
        required=False,
        max_length=50,
        error_messages={"invalid": "The short name may use only lower-case letters, numbers and hyphens"},
    )

    def __init__(self, *args, inspections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspections"].queryset = inspections
        self.fields["inspections"].label_from_instance = lambda i: f"{i.reference} – {i.pdu.name} ({i.pdu.region.name})"
        self.fields["region"].queryset = Region.objects.filter(pdus__inspections__in=inspections).distinct()
        self._date_fields(None)

    def clean(self):
        cleaned = super().clean()
        self._clean_date(cleaned)
        region, chosen = cleaned.get("region"), cleaned.get("inspections")
        if region and chosen and any(i.pdu.region_id != region.id for i in chosen):
            self.add_error("inspections", f"Choose only inspections of {region.name}")
        return cleaned


class LetterDetailsForm(_DateMixin, _Form):
    addressee = forms.CharField(
        max_length=200, error_messages={"required": "Enter the name and title of the Regional Probation Director"}
    )
    greeting = forms.CharField(max_length=200, required=False)
    copy_to = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))
    signatory = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    introduction = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, review, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                name: getattr(review, name)
                for name in ("addressee", "greeting", "copy_to", "signatory", "introduction", "summary")
            },
        )
        super().__init__(*args, **kwargs)
        self._date_fields(review.letter_date)

    def clean(self):
        cleaned = super().clean()
        self._clean_date(cleaned)
        return cleaned


class FindingForm(_Form):
    heading = forms.ChoiceField(
        choices=[("", "Choose a heading"), *RegionalFinding.Heading.choices],
        error_messages={"required": "Choose the heading the finding belongs under"},
    )
    kind = forms.ChoiceField(
        choices=RegionalFinding.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether it is narrative, a key strength or an area for improvement"},
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter the finding's text"},
    )


class FigurePickerForm(_Form):
    question = forms.ChoiceField(error_messages={"required": "Choose a key question or prompt"})
    answer = forms.ChoiceField(
        choices=[(a, f"Answered {a}") for a in ANSWERS],
        widget=forms.RadioSelect,
        initial="no",
        error_messages={"required": "Choose the answer to count"},
    )
    kind = forms.ChoiceField(
        choices=[
            (KINDS[0], "Cases out of relevant cases (“in 59 out of 109 relevant cases”)"),
            (KINDS[1], "Percentage (“52 per cent (82)”)"),
        ],
        widget=forms.RadioSelect,
        initial="figure",
        error_messages={"required": "Choose how the figure reads"},
    )

    def __init__(self, *args, framework_ids, **kwargs):
        super().__init__(*args, **kwargs)
        questions = (
            Question.objects.filter(framework_id__in=framework_ids)
            .order_by("framework_id", "order")
            .values_list("code", "kind", "text")
        )
        seen, choices = set(), [("", "Choose a key question or prompt")]
        for code, kind, text in questions:
            if code in seen:
                continue
            seen.add(code)
            short = text if len(text) <= 90 else f"{text[:87]}…"
            choices.append((code, f"{code} ({'key question' if kind == 'key_question' else 'prompt'}): {short}"))
        self.fields["question"].choices = choices
