"""Sessions in the database, as Django's own backend does, except when the database is unreachable.

Django's database store turns any database error while saving a session into UpdateError, which
SessionMiddleware answers as "the request's session was deleted": a 400, and the GOV.UK page saying
the form held values the service cannot accept. With PostgreSQL restarting (tests/chaos), an
inspector saving a case review read that. A lost connection is raised as itself instead, so they get
the 500 page: there is a problem with the service, the form may not have been saved. A session
really deleted meanwhile (signed out in another tab) is still the 400.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            if isinstance(error.__context__, OperationalError | InterfaceError):
                raise error.__context__ from None
            raise
