"""The dashboards' filters: a GET form, so the address holds the view and it can be shared."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms

from casework.models import CaseReview
from inspections.choices import CaseType
from inspections.models import Framework


@dataclass(frozen=True)
class Filters:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    framework: str = ""
    case_type: str = ""
    rosh_level: str = ""

    @property
    def case_filters(self) -> dict[str, str]:
        """The filters on the cases themselves: they narrow findings and disproportionality, not ratings."""
        return {
            name: value for name, value in (("case_type", self.case_type), ("rosh_level", self.rosh_level)) if value
        }

    @property
    def query(self) -> str:
        """The filters as a query string (without "?"), for links that keep them."""
        pairs = {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "framework": self.framework,
            "case_type": self.case_type,
            "rosh_level": self.rosh_level,
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def is_filtering(self) -> bool:
        return bool(self.query)

    def describe(self) -> str:
        """The filters in words, for the page and chart summaries."""
        parts = []
        if self.date_from and self.date_to:
            parts.append(f"fieldwork from {self.date_from:%-d %B %Y} to {self.date_to:%-d %B %Y}")
        elif self.date_from:
            parts.append(f"fieldwork from {self.date_from:%-d %B %Y}")
        elif self.date_to:
            parts.append(f"fieldwork up to {self.date_to:%-d %B %Y}")
        if self.framework:
            parts.append(f"framework {self.framework}")
        if self.case_type:
            parts.append(CaseType(self.case_type).label.lower() + " cases")
        if self.rosh_level:
            parts.append(f"{CaseReview.RoshLevel(self.rosh_level).label.lower()} RoSH cases")
        return "; ".join(parts)


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(
        required=False,
        label="Fieldwork from",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start of the date range as a real date, for example 2023-01-01"},
    )
    date_to = forms.DateField(
        required=False,
        label="Fieldwork to",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end of the date range as a real date, for example 2023-12-31"},
    )
    framework = forms.ChoiceField(required=False, label="Framework")
    case_type = forms.ChoiceField(
        required=False, label="Case type", choices=[("", "All case types"), *CaseType.choices]
    )
    rosh_level = forms.ChoiceField(
        required=False, label="RoSH level", choices=[("", "All RoSH levels"), *CaseReview.RoshLevel.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].choices = [
            ("", "All frameworks"),
            *Framework.objects.order_by("code").values_list("code", "title"),
        ]
        for name, field in self.fields.items():
            if name in ("framework", "case_type", "rosh_level"):
                field.error_messages["invalid_choice"] = f"Choose a {field.label.lower()} from the list"
                if name == "rosh_level":
                    field.error_messages["invalid_choice"] = "Choose a RoSH level from the list"

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end of the date range must be the same as or after its start")
        return data

    @property
    def filters(self) -> Filters:
        """The valid filters; none when the form is invalid (the page then shows the errors and no figures)."""
        if not self.is_bound or not self.is_valid():
            return Filters()
        return Filters(**self.cleaned_data)
