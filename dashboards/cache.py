"""The dashboards' aggregates, cached under a version of the data they are made of.

Published case data changes rarely and only through paths the database records: every
insert, update and delete of an answer, a case review, an inspection, a lock event or an
action leaves an event row (django-pghistory triggers, which no path can skip; decision
0008), and new rows take new ids. So the newest event and row ids of those tables are a
version that moves whenever any figure could: one query of index look-ups, and an
aggregate computed once per version is exact until the next change. Bulk loads that skip
the triggers (the synthetic national data) add rows, so the row ids move them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection

T = TypeVar("T")

# Each table's newest id: an index look-up each, a few microseconds.
_VERSION_SQL = "SELECT " + ", ".join(
    f"(SELECT max({column}) FROM {table})"
    for table, column in (
        ("casework_answerevent", "pgh_id"),
        ("casework_casereviewevent", "pgh_id"),
        ("inspections_inspectionevent", "pgh_id"),
        ("inspections_lockevent", "id"),
        ("trackers_actionevent", "pgh_id"),
        ("trackers_recommendationresponseevent", "pgh_id"),
        ("inspections_inspection", "id"),
        ("casework_casereview", "id"),
        ("ratings_ratingssnapshot", "id"),
    )
)


def data_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        return "-".join(str(value or 0) for value in cursor.fetchone())


def cached(name: str, version: str, params: object, compute: Callable[[], T], *, timeout: int = 24 * 3600) -> T:
    """`compute()`, or its result from the cache for the same name, parameters and data version."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"dashboards:{name}:{version}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
