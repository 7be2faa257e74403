"""How a service's refusal reaches the person: the one place a `Refused` becomes a response.

A refusal about who is asking (not the lead, not the person assigned) is the 403 page,
as the access lookups give for what a user may read but not change. Every other refusal
(locked, archived, stale, the wrong state) is a message on the page the person was on, so
they can see what is wrong and what to do; each view only chooses where that message goes.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from .errors import Refused

# The codes that say the person may not do this at all, whatever the record's state.
FORBIDDEN = frozenset({"not_lead", "not_allowed"})


def refusal_message(refused: Refused) -> str:
    """The message to show for a refusal; a refusal of the person is raised as the 403 page instead."""
    if refused.code in FORBIDDEN:
        raise PermissionDenied(refused.message) from refused
    return refused.message


def errors_onto_form(form, error: ValidationError, *, prefix: str = "", fields: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form field it names, or else on the whole form.

    A key names a field as it is (`reason`) or with the form's `prefix` (`answer-2.2.1`); an error
    without a field goes where `fields` maps its code, or on the whole form.
    """
    if hasattr(error, "error_dict"):
        for key, texts in error.message_dict.items():
            name = next((n for n in (f"{prefix}{key}", key) if n in form.fields), None)
            for text in texts:
                form.add_error(name, text)
        return
    for item in error.error_list:
        form.add_error((fields or {}).get(item.code), " ".join(item.messages))
