"""Forms for the ratings panel pages. They parse and check input; the services decide.

Forms are built with `auto_id="%s"`, so a field's id is its name and the error
summary's links land on it (the first radio of a group carries the group's name).
"""

from __future__ import annotations

from django import forms

from inspections.choices import RATING_ORDER

RATING_CHOICES = [(rating.value, rating.label) for rating in RATING_ORDER]


class JudgementForm(forms.Form):
    rating = forms.ChoiceField(
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating",
            "invalid_choice": "Choose a rating: Outstanding, Good, Requires improvement or Inadequate",
        },
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Give the rationale for the rating, linked to the evidence"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class OverrideForm(forms.Form):
    to_rating = forms.ChoiceField(
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the rating the panel moves the standard to",
            "invalid_choice": "Choose a rating: Outstanding, Good, Requires improvement or Inadequate",
        },
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Give the panel's reason for moving the rating"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class UnlockForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give a reason for unlocking the published inspection"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class RelockForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "relock-%s")
        super().__init__(*args, **kwargs)
