"""The one error a service raises when it refuses to do something.

Field-level input problems stay Django `ValidationError`s (they are form errors);
everything else a service refuses — not the lead, locked, archived, stale, the wrong
state — is a `Refused` with a short `code`, mapped to a response in one place.
"""

from __future__ import annotations


class Refused(Exception):
    """A refusal the user can act on: `message` says what is wrong, `code` says what kind."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message
