"""Dates the demo's audit history to its inspections' own 2023 dates.

django-pghistory's triggers stamp every history row with NOW(), so a demo loaded today says its
2023 inspections were answered and published today. History is append-only for the application
role (docs/decisions/0008), so only the tables' owner — which `make demo` runs `load_demo` as,
like `migrate` — may move the rows this load wrote (those stamped with this transaction's NOW())
to the dates the demo stands for: case work during fieldwork, the rest on publication day.
Loaded as the application role, the rows keep today's date and the loader says so.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection

# When in its inspection's life each kind of record was written: (days after fieldwork began, hour).
DURING_FIELDWORK = "i.fieldwork_start + interval '3 days' + interval '10 hours'"
ON_PUBLICATION = "i.published_on + interval '9 hours'"


def _event_tables() -> list[tuple[str, str, str]]:
    """(event table, SQL joining it to its inspection `i`, when) for every history table of inspection records."""
    from pghistory.models import Event

    tables = []
    for model in apps.get_models():
        if not issubclass(model, Event) or model._meta.proxy:
            continue
        columns = {f.column for f in model._meta.concrete_fields}
        table = model._meta.db_table
        if "case_review_id" in columns:
            join = (
                "casework_casereview c, inspections_inspection i"
                " WHERE c.id = t.case_review_id AND i.id = c.inspection_id"
            )
            tables.append((table, join, DURING_FIELDWORK))
        elif "inspection_id" in columns:
            tables.append((table, "inspections_inspection i WHERE i.id = t.inspection_id", ON_PUBLICATION))
        elif table == "inspections_inspectionevent":
            tables.append((table, "inspections_inspection i WHERE i.id = t.pgh_obj_id", ON_PUBLICATION))
    return tables


def may_date_history() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege('casework_answerevent', 'UPDATE')")
        return cursor.fetchone()[0]


def date_demo_history(*, inspection_ids: list[int]) -> int:
    """Move this transaction's history rows of the given (published) inspections to their own dates.

    Returns how many rows moved; 0 when the connection may not change history.
    """
    if not inspection_ids or not may_date_history():
        return 0
    moved = 0
    with connection.cursor() as cursor:
        for table, join, when in _event_tables():
            cursor.execute(
                f"UPDATE {table} t SET pgh_created_at = {when} FROM {join}"
                " AND i.id = ANY(%s) AND i.published_on IS NOT NULL AND t.pgh_created_at = now()",
                [inspection_ids],
            )
            moved += cursor.rowcount
            # A context is as old as the oldest change made in it.
            cursor.execute(
                f"UPDATE pghistory_context x SET created_at = t.pgh_created_at, updated_at = t.pgh_created_at"
                f" FROM {table} t WHERE t.pgh_context_id = x.id AND x.created_at = now()"
                " AND t.pgh_created_at < now()"
            )
    return moved
