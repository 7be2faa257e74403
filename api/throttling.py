"""A rate per token (or per signed-in user for session requests), not per address.

The counts are kept in the cache, Redis in production. With Redis down the API answers unthrottled
rather than not at all (tests/chaos/test_redis_down.py): the rate guards the service's capacity, and
a read-only API that stops for everyone while the cache is away protects nothing.
"""

import logging

from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class PerTokenThrottle(SimpleRateThrottle):
    scope = "api"

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache cannot be reached
            logger.warning("The API's rate cannot be counted (cache unavailable); request allowed", exc_info=True)
            return True

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and hasattr(token, "token_key"):
            ident = f"token:{token.token_key}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
