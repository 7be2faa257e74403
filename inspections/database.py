"""What the database holds beyond tables and triggers: fast trigger helpers and the application role.

Both are (re)applied after every `migrate` (see apps.py), as the owner that runs migrations.

**Fast trigger helpers.** django-pgtrigger's `_pgtrigger_should_ignore()` and django-pghistory's
`_pgh_attach_context()` run for every row of every audited or guarded table. As shipped, each
reads a setting that is usually absent inside a PL/pgSQL `EXCEPTION` block, so every row enters
and aborts a subtransaction, and bulk writes slow down row after row (120,000 answers took
167 s). The versions here read the settings with `current_setting(name, true)`, which returns
NULL instead of raising, so no row pays for a subtransaction. Every migration that installs a
trigger rewrites the originals, which is why they are replaced after each `migrate`.

`pgtrigger.ignore` is a session setting that any role can set. Honoured as shipped, it would
let the application role switch off the rules that protect published records; here it is
honoured only for a role that is a member of the tables' owner (migrations, maintenance).

**The application role.** Migrations run as the owner of every table; the application connects
as `DATABASE_APP_USER`, which owns nothing, so it cannot TRUNCATE, ALTER or disable triggers,
and may only SELECT and INSERT history rows (append-only). See docs/decisions/0008.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

# Functions whose bodies must never hold an EXCEPTION block (tests/test_db_roles.py checks pg_proc).
FAST_HELPERS = ("_pgtrigger_should_ignore", "_pgh_attach_context")

SHOULD_IGNORE = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _ignore TEXT[] := NULLIF(current_setting('pgtrigger.ignore', true), '')::TEXT[];
    BEGIN
        IF _ignore IS NULL OR NOT (trigger_name = ANY(_ignore)) THEN
            RETURN FALSE;
        END IF;
        RETURN pg_has_role(
            current_user, (SELECT relowner FROM pg_class WHERE oid = 'public.django_migrations'::regclass), 'MEMBER'
        );
    END;
$$ LANGUAGE plpgsql;
"""

ATTACH_CONTEXT = """
CREATE OR REPLACE FUNCTION _pgh_attach_context()
RETURNS pghistory_context.id%TYPE AS $$
    DECLARE
        _pgh_context_id UUID := NULLIF(current_setting('pghistory.context_id', true), '')::UUID;
        _pgh_context_metadata JSONB := NULLIF(current_setting('pghistory.context_metadata', true), '')::JSONB;
    BEGIN
        IF _pgh_context_id IS NULL OR _pgh_context_metadata IS NULL THEN
            RETURN NULL;
        END IF;
        INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
            VALUES (_pgh_context_id, _pgh_context_metadata, NOW(), NOW())
            ON CONFLICT (id) DO UPDATE
                SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
                WHERE pghistory_context.metadata != EXCLUDED.metadata;
        RETURN _pgh_context_id;
    END;
$$ LANGUAGE plpgsql;
"""


def history_tables() -> list[str]:
    """Every append-only table: the pghistory event tables and the lock log."""
    from pghistory.models import Event

    tables = [m._meta.db_table for m in apps.get_models() if issubclass(m, Event) and not m._meta.proxy]
    return sorted({*tables, "inspections_lockevent"})


def install_fast_trigger_helpers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(SHOULD_IGNORE)
        cursor.execute(ATTACH_CONTEXT)


def grant_application_role(connection: BaseDatabaseWrapper) -> None:
    """Create the application role if needed and give it exactly the rights the service uses."""
    role = settings.DATABASE_APP_USER
    if not role:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
        if settings.DATABASE_APP_PASSWORD:
            cursor.execute(f"ALTER ROLE {quote(role)} PASSWORD %s", [settings.DATABASE_APP_PASSWORD])
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {quote(role)}")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quote(role)}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quote(role)}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
        # Django reads which migrations ran (runserver warns on unapplied ones); only the owner writes it.
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quote(role)}")
        for table in history_tables():
            cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {quote(role)}")
