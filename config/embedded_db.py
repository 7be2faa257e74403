"""An embedded PostgreSQL for machines with no database server.

`pgserver` ships the PostgreSQL binaries in a wheel. The server is left running
between commands (cleanup_mode=None) so that `migrate`, `load_demo` and
`runserver` share one cluster; `make db-stop` stops it.

Two roles, as in production (docs/decisions/0008): migrations run as `postgres`, the
superuser that owns the tables (`python config/embedded_db.py owner-url`, used by
`make migrate`); everything else connects as the application role, which owns nothing.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"
DATABASE_NAME = "probation_inspections"


OWNER = "postgres"


def embedded_database_url(user: str = OWNER) -> str:
    """The embedded server's URI for `user`, starting the server and creating the database if needed."""
    import pgserver

    server = pgserver.get_server(DATA_DIR, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_postmaster_info().get_uri(user=user, database=DATABASE_NAME)


def stop() -> None:
    import pgserver

    if DATA_DIR.exists():
        pgserver.get_server(DATA_DIR, cleanup_mode="stop").cleanup()


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop()
    elif sys.argv[1:] == ["owner-url"]:
        print(embedded_database_url())
    else:
        sys.exit("usage: python config/embedded_db.py owner-url|stop")
