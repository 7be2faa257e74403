"""The case key: a keyed hash of the inspection and case reference, in place of the reference.

Stable across calls and tokens (the same case always has the same key, so answers join to
case reviews), different from the reference, and not reversible without the server's key
(HMAC-SHA256). The key is `API_PSEUDONYM_KEY`, or one derived from `SECRET_KEY`: rotating it
gives every case a new key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from django.conf import settings


@cache
def _secret() -> bytes:
    if settings.API_PSEUDONYM_KEY:
        return settings.API_PSEUDONYM_KEY.encode()
    return hashlib.sha256(b"probation-api-case-key:" + settings.SECRET_KEY.encode()).digest()


def case_key(inspection_reference: str, case_reference: str) -> str:
    message = f"{inspection_reference}/{case_reference}".encode()
    return "ck_" + hmac.new(_secret(), message, hashlib.sha256).hexdigest()[:24]
