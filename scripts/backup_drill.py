"""Backup and restore drill: dump a populated database, restore it into a fresh one, prove them equal.

    make backup-drill     # or: DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python scripts/backup_drill.py

The runbook for a real restore is docs/runbook-backup-and-restore.md; this is its rehearsal,
with the same commands, timed:

  1. the source: `probation_h10_src` on the server named by DATABASE_URL (its user must own the
     tables, as the user of `make migrate` does), migrated and loaded with `load_demo --national`
     (the demo with its audit history, and the synthetic national data: 540 inspections, 1.87
     million answers). Reused when it is already there, complete and migrated (--keep-source
     leaves it for the next run); generated otherwise.
  2. `pg_dump -Fc` of it (timed, its size), and `pg_dumpall --roles-only` (the roles the dump's
     ownership and GRANTs name, which a dump of one database does not hold).
  3. a fresh database `probation_h10_restored` (`createdb -T template0`), `pg_restore --jobs 2
     --exit-on-error` into it as the owner, keeping owners and GRANTs (timed), then ANALYZE (timed:
     a restore brings no planner statistics).
  4. every table of the public schema compared: its row count and a checksum of its rows (below);
     every sequence's position; and the schema around the data: owners and GRANTs of every table,
     sequence and the schema, triggers (with their enabled state), functions (with a hash of
     their source), indexes, constraints and extensions. Each table is printed with "equal".
  5. the application pointed at the restored database: `manage.py migrate` as the owner finds
     nothing to apply and grants the application role its rights on the database itself (CONNECT,
     TEMPORARY: a dump of one database holds the GRANTs on its tables, not on the database); then,
     as the application role (probation_app), `manage.py migrate --check` finds nothing to apply
     and `manage.py ratings SW-SOM-2023 --live --format json` (computed from the answers) prints
     the same as on the source.

Exit 1 if anything differs or fails. The restored database and the dump are removed at the end
(--keep keeps them), and the source too unless --keep-source.

The checksum of a table: `md5(row::text)` for every row, the two 64-bit halves of each summed
(as numeric, so nothing overflows) over the table, with count(*). Order does not matter (a
restored table need not come back in the same physical order, and a table need not have a
primary key), so there is no sort: one sequential scan, about 1.5–3.5 s for the 1.87 million
answers on this machine, where sorting the rows' text or ordering by key took 7–7.5 s. Any change
to any value of any row changes the sums unless 128 bits of MD5 collide. PostgreSQL's own
`hashtextextended` is about twice as fast but is an internal function not promised to be stable
across major versions, and a real restore may be onto a newer one; md5 is. Both databases are
read in parallel, each with the same session settings (UTC, ISO dates, exact floats), so a row
prints the same in both.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/probation_inspections"
SOURCE = "probation_h10_src"
RESTORED = "probation_h10_restored"
APP_ROLE = "probation_app"
JOBS = 2
RATED_INSPECTION = "SW-SOM-2023"

SESSION = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; SET IntervalStyle = 'postgres'"
CHECKSUM = """
    SELECT count(*),
           coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0),
           coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)
      FROM (SELECT md5(t::text) AS h FROM {table} AS t) AS rows
"""
# The schema around the data, as sorted rows: what a restore must bring back besides the rows.
SCHEMA_CHECKS = {
    "owners and GRANTs of tables, sequences and views": """
        SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), coalesce(c.relacl::text, '')
          FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
         ORDER BY 1""",
    "the public schema's owner and GRANTs": """
        SELECT nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, '') FROM pg_namespace
         WHERE nspname = 'public'""",
    "triggers (table, name, enabled, definition)": """
        SELECT c.relname, t.tgname, t.tgenabled, md5(pg_get_triggerdef(t.oid))
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "functions (name, arguments, owner, source)": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_userbyid(p.proowner),
               md5(pg_get_functiondef(p.oid))
          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "indexes": """
        SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "extensions": "SELECT extname, extversion FROM pg_extension ORDER BY 1",
}


# PostgreSQL writes some definitions back differently after a restore, the same in meaning: a CHECK
# or index predicate `col IN ('a', 'b')` on a varchar column is stored as `(col)::text = ANY
# ((ARRAY['a'::character varying, ...])::text[])` and comes back from the restored text as
# `... ANY (ARRAY[('a'::character varying)::text, ...])`. Such definitions are compared with their
# casts, brackets and spaces set aside, and counted.
CAST = re.compile(
    r"::(?:character varying|timestamp with time zone|timestamp without time zone|double precision"
    r'|"[^"]+"|[a-z_][a-z0-9_]*)(?:\(\d+(?:,\d+)?\))?(?:\[\])?'
)
REWRITTEN = ("indexes", "constraints")


def canonical(definition: str) -> str:
    return re.sub(r"[()\s]", "", CAST.sub("", definition))


def normalised(rows: list[tuple]) -> set[tuple]:
    return {tuple(canonical(v) if isinstance(v, str) else v for v in row) for row in rows}


# Connections and commands -------------------------------------------------------------------------------


def database_url(base: str, name: str, user: str | None = None) -> str:
    parts = urlsplit(base)
    netloc = parts.netloc
    if user is not None:
        netloc = f"{user}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{name}"))


def connect(base: str, name: str):
    import psycopg2

    parts = urlsplit(base)
    conn = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname=name
    )
    conn.autocommit = True
    return conn


def pg_env(base: str) -> tuple[list[str], dict]:
    """The connection options of the PostgreSQL client programs, and their environment (the password)."""
    parts = urlsplit(base)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return args, env


def run(command: list[str], *, env: dict | None = None, quiet: bool = False) -> float:
    """Run `command`, stopping the drill if it fails; the seconds it took."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=quiet, text=True, check=False)
    if result.returncode != 0:
        if quiet:
            sys.stdout.write(result.stdout or "")
            sys.stdout.write(result.stderr or "")
        raise SystemExit(f"FAILED: {' '.join(command)} exited {result.returncode}")
    return time.perf_counter() - started


def manage(url: str, *arguments: str, capture: bool = False) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], env=env, cwd=ROOT, capture_output=capture, text=True, check=False
    )


def exists(base: str, name: str) -> bool:
    conn = connect(base, "postgres")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def drop(base: str, name: str) -> None:
    conn = connect(base, "postgres")
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def server_major(base: str) -> int:
    conn = connect(base, "postgres")
    with conn.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0]) // 10000
    conn.close()
    return version


def client_major(program: str) -> int:
    output = subprocess.run([program, "--version"], capture_output=True, text=True, check=True).stdout
    return int(output.split()[-1].split(".")[0].split("(")[0])


# 1. The source ----------------------------------------------------------------------------------------------


def source_complete(base: str, name: str) -> bool:
    """Whether `name` holds the national data and every migration (then it is reused as it is)."""
    if not exists(base, name):
        return False
    conn = connect(base, name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('inspections_inspection') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return False
            cursor.execute("SELECT count(*) FROM inspections_inspection WHERE synthetic")
            if cursor.fetchone()[0] == 0:
                return False
    finally:
        conn.close()
    return manage(database_url(base, name), "migrate", "--check", capture=True).returncode == 0


def make_source(base: str, name: str) -> float:
    drop(base, name)
    conn = connect(base, "postgres")
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    started = time.perf_counter()
    url = database_url(base, name)
    for arguments in (("migrate", "--noinput", "-v", "0"), ("load_demo", "--national")):
        result = manage(url, *arguments, capture=True)
        if result.returncode != 0:
            sys.stdout.write(result.stdout + result.stderr)
            raise SystemExit(f"FAILED: manage.py {' '.join(arguments)} on {name}")
    return time.perf_counter() - started


# 4. Comparing ------------------------------------------------------------------------------------------------


def tables(conn) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [row[0] for row in cursor.fetchall()]


def sequences(conn) -> dict[str, tuple]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
        names = [row[0] for row in cursor.fetchall()]
        positions = {}
        for name in names:
            cursor.execute(f'SELECT last_value, is_called FROM public."{name}"')
            positions[name] = cursor.fetchone()
        return positions


def inventory(url: str, out: dict) -> None:
    """Every table's (rows, checksum), every sequence's position and the schema checks of the database at `url`."""
    started = time.perf_counter()
    parts = urlsplit(url)
    conn = connect(url, parts.path.lstrip("/"))
    try:
        with conn.cursor() as cursor:
            cursor.execute(SESSION)
            sums = {}
            for table in tables(conn):
                cursor.execute(CHECKSUM.format(table=f'public."{table}"'))
                rows, high, low = cursor.fetchone()
                sums[table] = (rows, int(high), int(low))
            schema = {}
            for label, query in SCHEMA_CHECKS.items():
                cursor.execute(query)
                schema[label] = cursor.fetchall()
        out.update(tables=sums, sequences=sequences(conn), schema=schema, seconds=time.perf_counter() - started)
    except Exception as error:  # reported, and the drill fails
        out["error"] = error
    finally:
        conn.close()


def digest(checksum: tuple | None) -> str:
    """The two sums of a table, shortened for reading (the comparison uses them whole)."""
    if checksum is None:
        return ""
    return hashlib.md5(f"{checksum[1]}:{checksum[2]}".encode()).hexdigest()[:24]


def compare(source: str, restored: str) -> tuple[list[str], bool, float]:
    """Databases at two URLs (on one server or two), read in parallel and compared."""
    found: list[dict] = [{}, {}]
    started = time.perf_counter()
    threads = [
        threading.Thread(target=inventory, args=(url, out)) for url, out in zip((source, restored), found, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    for url, out in zip((source, restored), found, strict=True):
        if "error" in out:
            raise SystemExit(f"FAILED: reading {urlsplit(url).path.lstrip('/')}: {out['error']}")
    a, b = found
    lines, equal = [], True
    width = max(len(t) for t in a["tables"] | b["tables"])
    lines.append(f"  {'table':{width}}  {'rows':>10}  {'checksum (md5 sums)':24}  restored")
    for table in sorted(a["tables"] | b["tables"]):
        left, right = a["tables"].get(table), b["tables"].get(table)
        same = left == right
        equal &= same
        verdict = "equal" if same else f"DIFFERENT: {f'{right[0]:,} rows, {digest(right)}' if right else 'missing'}"
        lines.append(f"  {table:{width}}  {left[0] if left else 'missing':>10,}  {digest(left):24}  {verdict}")
    total = sum(rows for rows, _, _ in a["tables"].values())
    lines.append(f"  {len(a['tables'])} tables, {total:,} rows")
    seq_same = a["sequences"] == b["sequences"]
    equal &= seq_same
    lines.append(f"  {len(a['sequences'])} sequences' positions: {'equal' if seq_same else 'DIFFERENT'}")
    if not seq_same:
        lines += [
            f"    {n}: {a['sequences'].get(n)} → {b['sequences'].get(n)}"
            for n in sorted(a["sequences"] | b["sequences"])
            if a["sequences"].get(n) != b["sequences"].get(n)
        ]
    for label in SCHEMA_CHECKS:
        left, right = a["schema"][label], b["schema"][label]
        same, note = left == right, ""
        if not same and label in REWRITTEN and len(left) == len(right) and normalised(left) == normalised(right):
            same = True
            rewritten = len(set(left) - set(right))
            note = f" ({rewritten} written differently by PostgreSQL, the same but for casts and brackets)"
        equal &= same
        lines.append(f"  {label}: {len(left)}, {'equal' + note if same else 'DIFFERENT'}")
        if not same:
            only_a = sorted(set(left) - set(right))[:5]
            only_b = sorted(set(right) - set(left))[:5]
            lines += [f"    only in the source: {row}" for row in only_a]
            lines += [f"    only in the restored: {row}" for row in only_b]
    lines.append(f"  read in parallel in {seconds:.1f} s (source {a['seconds']:.1f} s, restored {b['seconds']:.1f} s)")
    return lines, equal, seconds


def database_grants(base: str, name: str) -> str:
    conn = connect(base, name)
    with conn.cursor() as cursor:
        cursor.execute("SELECT coalesce(datacl::text, '(the defaults)') FROM pg_database WHERE datname = %s", [name])
        grants = cursor.fetchone()[0]
    conn.close()
    return grants


def app_check(base: str, source: str, restored: str) -> tuple[list[str], bool]:
    """The application on the restored database: migrated as the owner (which grants the application role
    its database-level rights, which a dump of one database leaves out), then reading as its own role
    what it reads on the source."""
    lines, ok = [], True
    before = database_grants(base, restored)
    migrate = manage(database_url(base, restored), "migrate", "--noinput", capture=True)
    ok &= migrate.returncode == 0
    said = " ".join((migrate.stdout + migrate.stderr).split())
    said = "no migrations to apply" if "No migrations to apply" in said else said[-300:]
    lines.append(f"  manage.py migrate as the owner: {said if migrate.returncode == 0 else 'FAILED: ' + said}")
    grants, expected = database_grants(base, restored), database_grants(base, source)
    ok &= grants == expected
    lines.append(
        f"  the database's own GRANTs: {before} after pg_restore, {grants} after migrate: "
        f"{'equal to the source' if grants == expected else 'DIFFERENT from the source ' + expected}"
    )
    check = manage(database_url(base, restored, user=APP_ROLE), "migrate", "--check", capture=True)
    ok &= check.returncode == 0
    lines.append(
        f"  manage.py migrate --check as {APP_ROLE}: {'nothing to apply' if check.returncode == 0 else 'FAILED'}"
    )
    if check.returncode != 0:
        lines.append("    " + (check.stdout + check.stderr).strip()[-500:])
    outputs = []
    for name in (source, restored):
        result = manage(
            database_url(base, name, user=APP_ROLE),
            "ratings",
            RATED_INSPECTION,
            "--live",
            "--format",
            "json",
            capture=True,
        )
        outputs.append(result.stdout if result.returncode == 0 else None)
        if result.returncode != 0:
            lines.append(f"    ratings on {name}: {(result.stdout + result.stderr).strip()[-500:]}")
    same = outputs[0] is not None and outputs[0] == outputs[1]
    ok &= same
    score = ""
    if same:
        data = json.loads(outputs[0])
        score = f" (score {data.get('score')}/{data.get('max_score')}, {data.get('rating')})"
    lines.append(
        f"  manage.py ratings {RATED_INSPECTION} --live --format json as {APP_ROLE}, computed from the answers: "
        f"{'the same on both' + score if same else 'DIFFERENT or FAILED'}"
    )
    return lines, ok


# Run ------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=SOURCE, help="the populated database (reused when complete)")
    parser.add_argument("--restored", default=RESTORED, help="the fresh database restored into (recreated)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the source even if it is complete")
    parser.add_argument("--keep-source", action="store_true", help="leave the source for the next run")
    parser.add_argument("--keep", action="store_true", help="leave the restored database and the dump too")
    parser.add_argument("--jobs", type=int, default=JOBS, help="pg_restore --jobs")
    parser.add_argument(
        "--compare",
        nargs=2,
        metavar=("SOURCE_URL", "RESTORED_URL"),
        help="only compare two existing databases (a real restore beside its source: the runbook)",
    )
    args = parser.parse_args(argv)
    if args.compare:
        lines, equal, _ = compare(*args.compare)
        print("\n".join(lines))
        print("ALL EQUAL" if equal else "FAILED: the databases differ (above)")
        return 0 if equal else 1

    base = os.environ.get("DATABASE_URL") or DEFAULT_URL
    conn_args, env = pg_env(base)
    started = time.perf_counter()
    report: list[str] = []

    def say(line: str = "") -> None:
        report.append(line)
        print(line, flush=True)

    major = server_major(base)
    for program in ("pg_dump", "pg_restore", "pg_dumpall"):
        if client_major(program) < major:
            raise SystemExit(f"FAILED: {program} is older than the server (PostgreSQL {major}): install its client")
    workdir = Path(tempfile.mkdtemp(prefix="probation_h10_backup_"))
    dump, roles = workdir / f"{args.source}.dump", workdir / "roles.sql"
    ok = False
    try:
        say(
            f"Backup and restore drill on PostgreSQL {major} at {urlsplit(base).hostname}:{urlsplit(base).port or 5432}"
        )
        if not args.fresh and source_complete(base, args.source):
            say(f"1. source {args.source}: reused (complete and migrated)")
        else:
            seconds = make_source(base, args.source)
            say(f"1. source {args.source}: migrated and loaded with load_demo --national in {seconds:.1f} s")
        conn = connect(base, args.source)
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            source_size = cursor.fetchone()[0]
        conn.close()
        say(f"   database size {source_size / 2**20:,.0f} MiB")

        seconds = run(["pg_dump", *conn_args, "-Fc", "-d", args.source, "-f", str(dump)], env=env)
        say(f"2. pg_dump -Fc: {seconds:.1f} s, {dump.stat().st_size / 2**20:,.1f} MiB ({dump})")
        seconds = run(["pg_dumpall", *conn_args, "--roles-only", "-f", str(roles)], env=env)
        say(f"   pg_dumpall --roles-only: {seconds:.1f} s, {roles.stat().st_size:,} bytes")
        listing = subprocess.run(["pg_restore", "-l", str(dump)], capture_output=True, text=True, check=True).stdout
        say(
            f"   the dump holds {sum(1 for line in listing.splitlines() if line and not line.startswith(';')):,} "
            f"entries, {listing.count(' ACL ')} of them GRANTs"
        )

        drop(base, args.restored)
        created = run(["createdb", *conn_args, "-T", "template0", args.restored], env=env)
        seconds = run(
            ["pg_restore", *conn_args, "--jobs", str(args.jobs), "--exit-on-error", "-d", args.restored, str(dump)],
            env=env,
        )
        say(
            f"3. createdb -T template0 {args.restored}: {created:.1f} s; pg_restore --jobs {args.jobs}: {seconds:.1f} s"
        )
        seconds = run(["psql", *conn_args, "-d", args.restored, "-q", "-c", "ANALYZE"], env=env)
        say(f"   ANALYZE: {seconds:.1f} s")

        say("4. every table, sequence and schema object, source against restored:")
        lines, equal, _ = compare(database_url(base, args.source), database_url(base, args.restored))
        for line in lines:
            say(line)

        say(f"5. the application pointed at {args.restored}:")
        lines, app_ok = app_check(base, args.source, args.restored)
        for line in lines:
            say(line)
        ok = equal and app_ok
        say("ALL EQUAL: the restore is complete." if ok else "FAILED: the restored database differs (above).")
        return 0 if ok else 1
    finally:
        if not args.keep:
            drop(base, args.restored)
            shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep_source:
            drop(base, args.source)
        say(f"Total {time.perf_counter() - started:.0f} s")
        artifact = ROOT / "test-artifacts" / "backup-drill.txt"
        artifact.parent.mkdir(exist_ok=True)
        artifact.write_text("\n".join(report) + "\n")


if __name__ == "__main__":
    sys.exit(main())
