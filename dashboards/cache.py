"""The dashboards' aggregates, cached under a version of the published data they are made of.

The dashboards read published inspections only, and the database guards those
(decision 0008): an inspection's publication columns move only with a lock event in the
same transaction, and a published inspection's case reviews and answers cannot change
until a lead unlocks it, which is a lock event too. So the newest lock event, snapshot
and inspection ids are a version that moves whenever a published figure could, and an
inspector's saves during fieldwork leave it alone (the cache stays warm through a busy
day). While any published inspection is unlocked for correction, the newest answer and
case review history events join the version, so each correction shows at once. One
query of index look-ups; an aggregate computed once per version is exact until the next
change. The synthetic national load skips the triggers but adds inspections, so the
inspection id moves it too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection

T = TypeVar("T")

logger = logging.getLogger(__name__)

_VERSION_SQL = """
    SELECT (SELECT max(id) FROM inspections_lockevent),
           (SELECT max(id) FROM ratings_ratingssnapshot),
           (SELECT max(id) FROM inspections_inspection),
           CASE WHEN EXISTS (SELECT 1 FROM inspections_inspection
                              WHERE status = 'published' AND unlocked_at IS NOT NULL)
                THEN (SELECT max(pgh_id) FROM casework_answerevent) END,
           CASE WHEN EXISTS (SELECT 1 FROM inspections_inspection
                              WHERE status = 'published' AND unlocked_at IS NOT NULL)
                THEN (SELECT max(pgh_id) FROM casework_casereviewevent) END
"""


def data_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        return "-".join(str(value or 0) for value in cursor.fetchone())


def cached(name: str, version: str, params: object, compute: Callable[[], T], *, timeout: int = 24 * 3600) -> T:
    """`compute()`, or its result from the cache for the same name, parameters and data version."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"dashboards:{name}:{version}:{digest}"
    # The cache only saves time: with Redis down (tests/chaos) the figures are computed each time
    # rather than the page failing.
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("The dashboards' cache cannot be read; computing %s without it", name, exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout)
        except Exception:
            logger.warning("The dashboards' cache cannot be written; %s was computed without it", name, exc_info=True)
    return value
