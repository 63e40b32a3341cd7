"""Back up and restore the PostgreSQL database with pg_dump / pg_restore.

Works for the embedded server (pgserver, a Unix socket under var/) and for a standalone server
(``DATABASE_URL``): the connection comes from Django's ``DATABASES``. The client tools are chosen to
match the server's major version (pgserver ships its own under ``pgserver/pginstall/bin``; Debian's
live under ``/usr/lib/postgresql/<major>/bin``); ``PG_BIN_DIR`` forces a directory.

A backup is one custom-format dump (``pg_dump -Fc``), written to a temporary name, checked with
``pg_restore --list`` and then renamed, so a half-written file never looks like a backup. Dumps hold
personal data: they are created with mode 0600 in a 0700 directory.

A restore replaces the whole ``public`` schema in one transaction: ``DROP SCHEMA public CASCADE``,
``CREATE SCHEMA public`` and the dump's SQL run inside a single ``psql --single-transaction``, so a
failed restore leaves the database as it was.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

DUMP_PREFIX = "ektp-"
DUMP_SUFFIX = ".dump"
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)")
# Connection OPTIONS that libpq understands and that matter for the command-line tools.
_LIBPQ_OPTIONS = ("host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service")


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class Database:
    """How the PostgreSQL client tools reach one database."""

    params: dict[str, str]
    password: str = field(default="", repr=False)
    server_major: int = 0

    @property
    def name(self) -> str:
        return self.params["dbname"]

    def conninfo(self) -> str:
        """A libpq connection string without the password (that goes in PGPASSWORD)."""
        return " ".join(f"{key}={_quote(value)}" for key, value in self.params.items() if value != "")

    def env(self) -> dict[str, str]:
        environment = dict(os.environ)
        if self.password:
            environment["PGPASSWORD"] = self.password
        return environment

    def other(self, dbname: str) -> Database:
        """The same server, another database."""
        params = {**self.params, "dbname": dbname}
        return Database(params=params, password=self.password, server_major=self.server_major)


def _quote(value: str) -> str:
    value = str(value)
    if value and re.fullmatch(r"[A-Za-z0-9_./:\-]+", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def configured_database(alias: str = "default") -> Database:
    """The database Django is connected to (the test database while tests run)."""
    connection = connections[alias]
    settings_dict = connection.settings_dict
    options = settings_dict.get("OPTIONS", {})
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or "",
        "host": str(options.get("host") or settings_dict.get("HOST") or ""),
        "port": str(options.get("port") or settings_dict.get("PORT") or ""),
    }
    for key in _LIBPQ_OPTIONS:
        if key not in ("host", "port") and options.get(key):
            params[key] = str(options[key])
    connection.ensure_connection()
    return Database(
        params=params,
        password=settings_dict.get("PASSWORD") or "",
        server_major=connection.pg_version // 10000,
    )


def _tool_major(path: Path) -> int | None:
    try:
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION_RE.search(result.stdout)
    return int(match.group(1)) if match else None


def _candidate_dirs() -> list[Path]:
    forced = getattr(settings, "PG_BIN_DIR", "")
    if forced:
        return [Path(forced)]
    dirs: list[Path] = []
    try:
        import pgserver

        dirs.append(Path(pgserver.__file__).resolve().parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for name in ("pg_dump",):
        found = shutil.which(name)
        if found:
            dirs.append(Path(found).resolve().parent)
    return dirs


def find_tool(name: str, server_major: int) -> Path:
    """The client tool ``name`` whose major version matches the server (else the nearest newer one)."""
    found: dict[Path, int] = {}
    for directory in _candidate_dirs():
        path = (directory / name).resolve()
        if path in found or not path.is_file() or not os.access(path, os.X_OK):
            continue
        major = _tool_major(path)
        if major is not None:
            found[path] = major
    exact = [path for path, major in found.items() if major == server_major]
    if exact:
        return exact[0]
    newer = sorted((major, str(path)) for path, major in found.items() if major > server_major)
    if newer:
        return Path(newer[0][1])
    seen = ", ".join(f"{path} ({major})" for path, major in found.items()) or "none"
    raise BackupError(
        f"No {name} for PostgreSQL {server_major} or newer (found: {seen}). "
        f"Install postgresql-client-{server_major} or set PG_BIN_DIR."
    )


def _run(command: list[str], database: Database, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=database.env(), capture_output=True, text=True, umask=0o077, **kwargs)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def default_backup_path(directory: Path | None = None, now: datetime.datetime | None = None) -> Path:
    directory = Path(directory or settings.BACKUP_DIR)
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return directory / f"{DUMP_PREFIX}{stamp}{DUMP_SUFFIX}"


def backup(*, output: Path, database: Database | None = None) -> Path:
    """Dump ``database`` (default: the configured one) to ``output`` in pg_dump's custom format."""
    database = database or configured_database()
    output = Path(output)
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    pg_dump = find_tool("pg_dump", database.server_major)
    pg_restore = find_tool("pg_restore", database.server_major)
    try:
        _run([str(pg_dump), "--format=custom", f"--file={partial}", f"--dbname={database.conninfo()}"], database)
        _run([str(pg_restore), "--list", str(partial)], database)  # the file is a complete, readable archive
        partial.chmod(0o600)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def prune(*, directory: Path, keep_days: int, now: datetime.datetime | None = None) -> list[Path]:
    """Delete this app's dumps in ``directory`` older than ``keep_days`` days; return what was deleted."""
    limit = (now or timezone.now()).timestamp() - keep_days * 86400
    deleted = []
    for path in sorted(Path(directory).glob(f"{DUMP_PREFIX}*{DUMP_SUFFIX}")):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink()
            deleted.append(path)
    return deleted


def _maintenance_sql(database: Database, sql: str) -> str:
    """Run ``sql`` on the server's ``postgres`` database; ``:"name"`` / ``:'name'`` is the database name.

    psql quotes the variable itself; it substitutes variables only in scripts read from stdin or
    files, not in ``--command``, hence the script on stdin.
    """
    psql = find_tool("psql", database.server_major)
    result = _run(
        [
            str(psql),
            "-X",
            "--quiet",
            "--no-align",
            "--tuples-only",
            "--set=ON_ERROR_STOP=1",
            "--set=name=" + database.name,
            f"--dbname={database.other('postgres').conninfo()}",
        ],
        database,
        input=sql + "\n",
    )
    return result.stdout


def database_exists(database: Database) -> bool:
    return _maintenance_sql(database, "SELECT 1 FROM pg_database WHERE datname = :'name';").strip() == "1"


def create_database(database: Database) -> None:
    _maintenance_sql(database, "CREATE DATABASE :\"name\" TEMPLATE template0 ENCODING 'UTF8';")


def drop_database(database: Database) -> None:
    _maintenance_sql(database, 'DROP DATABASE IF EXISTS :"name" WITH (FORCE);')


def restore(*, dump: Path, database: Database) -> None:
    """Replace everything in ``database``'s public schema with the contents of ``dump``, atomically.

    pg_restore first turns the whole archive into SQL in a private temporary file, so a damaged
    archive fails before the database is touched; psql then runs the schema reset and that SQL in one
    transaction with ON_ERROR_STOP, so any error rolls everything back.
    """
    dump = Path(dump)
    if not dump.is_file():
        raise BackupError(f"No such backup file: {dump}")
    pg_restore = find_tool("pg_restore", database.server_major)
    psql = find_tool("psql", database.server_major)
    with tempfile.TemporaryDirectory(prefix="ektp-restore-") as private:  # mode 0700
        script = Path(private) / "restore.sql"
        _run([str(pg_restore), "--no-owner", "--no-privileges", f"--file={script}", str(dump)], database)
        _run(
            [
                str(psql),
                "-X",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--dbname={database.conninfo()}",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                f"--file={script}",
            ],
            database,
        )
