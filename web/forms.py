from __future__ import annotations

from django import forms

from accounts.models import User
from inspections.choices import CaseType, Progress


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
