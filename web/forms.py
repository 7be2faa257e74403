from __future__ import annotations

from urllib.parse import urlencode

from django import forms

from accounts.models import User
from inspections.choices import CaseType, Progress
from inspections.selectors import InspectionListOptions


class CaseFilterForm(forms.Form):
    """The inspection page's filters: a GET form, so a filtered list is a link that can be shared."""

    inspector = forms.ChoiceField(required=False)
    # Archived cases are out of the sample and never listed, so they are not a filter.
    status = forms.ChoiceField(
        required=False,
        choices=[("", "All statuses"), *((p.value, p.label) for p in Progress if p != Progress.ARCHIVED)],
    )
    case_type = forms.ChoiceField(required=False, choices=[("", "All case types"), *CaseType.choices])

    def __init__(self, *args, inspectors: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].choices = [
            ("", "All inspectors"),
            *((str(user.pk), str(user)) for user in inspectors),
            ("none", "Not assigned"),
        ]

    @property
    def filters(self) -> dict[str, str]:
        """The valid filters, named as the case list selector takes them; none when the form is invalid."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"inspector": data["inspector"], "progress": data["status"], "case_type": data["case_type"]}

    @property
    def is_filtering(self) -> bool:
        return any(self.filters.values())


class InspectionFilterForm(forms.Form):
    """The inspection list's filters: a GET form, so a filtered list is an address that can be shared.

    Each choice comes from the inspections the user may see (`inspection_list_options`); a
    filter with nothing to choose between is left out, and a value for it in the address
    ignored: region for those who see one region, status for those who see published
    inspections only, framework while every inspection follows the same one.
    """

    q = forms.CharField(
        label="Reference or PDU",
        required=False,
        max_length=100,
        error_messages={"max_length": "Reference or PDU must be 100 characters or fewer"},
    )
    region = forms.ChoiceField(
        label="Region", required=False, error_messages={"invalid_choice": "Select a region from the list"}
    )
    status = forms.ChoiceField(
        label="Status", required=False, error_messages={"invalid_choice": "Select a status from the list"}
    )
    year = forms.TypedChoiceField(
        label="Year of fieldwork",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Select a year of fieldwork from the list"},
    )
    framework = forms.ChoiceField(
        label="Framework", required=False, error_messages={"invalid_choice": "Select a framework from the list"}
    )

    def __init__(self, data, *, options: InspectionListOptions):
        super().__init__(data, auto_id="%s")
        self.fields["region"].choices = [("", "All regions"), *options.regions]
        self.fields["status"].choices = [("", "All statuses"), *options.statuses]
        self.fields["year"].choices = [("", "All years"), *((str(year), str(year)) for year in options.years)]
        self.fields["framework"].choices = [("", "All frameworks"), *options.frameworks]
        for name, values in (
            ("region", options.regions),
            ("status", options.statuses),
            ("year", options.years),
            ("framework", options.frameworks),
        ):
            if len(values) < 2:
                del self.fields[name]

    @property
    def filters(self) -> dict[str, object] | None:
        """The filters, named as `inspection_list` takes them; None when one is invalid (nothing is listed)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return {
            "region": data.get("region", ""),
            "status": data.get("status", ""),
            "year": data.get("year"),
            "framework": data.get("framework", ""),
            "search": data["q"],
        }

    @property
    def is_filtering(self) -> bool:
        return bool(self.filters and any(self.filters.values()))

    @property
    def query(self) -> str:
        """The filters as a query string, for the page links; empty when none is set or one is invalid."""
        if not self.is_valid():
            return ""
        values = ((name, self.cleaned_data[name]) for name in self.fields)
        return urlencode([(name, str(value)) for name, value in values if value not in ("", None)])
