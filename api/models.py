"""The audit trail of API tokens.

knox's `AuthToken` lives in a third-party app, so it is tracked through a proxy model here:
the triggers and the event table belong to this app's migrations, not knox's. Every token
created and every token deleted (revoked by its owner, met expired by knox, or gone with its
user) is a row, with who and why from the pghistory context. The digest is not copied: the
history needs to say which token, not hold anything that could be checked against one.
"""

import pghistory
from knox.models import AuthToken


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.DeleteEvent("deleted"),
    fields=["token_key", "user", "created", "expiry"],
    obj_field=None,
    model_name="APITokenEvent",
)
class APIToken(AuthToken):
    """A knox token as the web app and the command see it: its owner, when it ends, how it starts."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    @property
    def starts_with(self) -> str:
        """The first characters of the token, enough for its owner to tell tokens apart."""
        return self.token_key[:8]
