"""Backup and restore (manage.py db_backup / db_restore, scripts/*.sh) keep every row.

Runs against whichever server the suite uses: the embedded pgserver or DATABASE_URL (CI runs both).
pg_dump sees only committed rows, so the round trip with a season's data is a transactional test;
the others work on what the migrations committed (reference data, roles) and stay cheap.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from ektp_drives import backup
from recordings.models import Recording
from schools.models import Student
from tests import factories

ROOT = Path(settings.BASE_DIR)


def _snapshot(database: backup.Database) -> dict:
    """Every table's row count and a checksum of its rows, every sequence's position, the triggers."""
    with psycopg2.connect(database.conninfo(), password=database.password or None) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cur.fetchall()]
        snapshot = {}
        for table in tables:
            cur.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608
            )
            snapshot[f"table {table}"] = cur.fetchone()
        cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        snapshot.update({f"sequence {name}": value for name, value in cur.fetchall()})
        cur.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
        snapshot["triggers"] = cur.fetchone()[0]
    conn.close()
    return snapshot


def _execute(database: backup.Database, *statements: str) -> None:
    conn = psycopg2.connect(database.conninfo(), password=database.password or None)
    try:
        with conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture
def season_data():
    """A small season: schools, students with NIK/KK, a drive, a visit with outcomes, users, history."""
    visit, students = factories.visit_with_students(students=6)
    factories.StudentFactory.create_batch(4, school=factories.SchoolFactory())
    for student in students[:4]:
        factories.RecordingFactory(visit=visit, student=student)
    factories.SupervisorFactory()
    factories.SchoolAdminUserFactory(school=visit.school)
    return visit


@pytest.fixture
def restored_database():
    target = backup.configured_database().other(f"{connection.settings_dict['NAME']}_restored")
    backup.drop_database(target)
    yield target
    backup.drop_database(target)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restored_database_has_the_same_rows(season_data, restored_database, tmp_path):
    dump = tmp_path / "season.dump"
    call_command("db_backup", output=dump, stdout=io.StringIO())
    assert dump.is_file()
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600  # dumps hold personal data

    call_command("db_restore", str(dump), database=restored_database.name, create=True, stdout=io.StringIO())

    original = _snapshot(backup.configured_database())
    restored = _snapshot(restored_database)
    assert restored == original
    assert original[f"table {Student._meta.db_table}"][0] == 10
    assert original[f"table {Recording._meta.db_table}"][0] == 4
    history_tables = [k for k, v in original.items() if k.startswith("table ") and k.endswith("event") and v[0]]
    assert history_tables, "the audit history (pghistory event tables) is part of the backup"
    assert original["triggers"] > 0


@pytest.mark.django_db
def test_restore_replaces_changed_data_and_keeps_a_safety_backup(restored_database, tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    dump = tmp_path / "season.dump"
    call_command("db_backup", output=dump, stdout=io.StringIO())
    call_command("db_restore", str(dump), database=restored_database.name, create=True, stdout=io.StringIO())
    expected = _snapshot(restored_database)
    assert expected["table auth_group_permissions"][0] > 0  # the roles' permissions

    # Someone deletes rows and adds a table in the restored copy; restoring again undoes both.
    _execute(restored_database, "DELETE FROM auth_group_permissions", "CREATE TABLE public.stray (id int)")
    assert _snapshot(restored_database) != expected

    call_command(
        "db_restore",
        str(dump),
        database=restored_database.name,
        interactive=False,
        stdout=io.StringIO(),
    )
    assert _snapshot(restored_database) == expected
    safety = list((tmp_path / "backups").glob("ektp-*.pre-restore.dump"))
    assert len(safety) == 1  # what the database held just before, in case the wrong file was restored


@pytest.mark.django_db
def test_failed_restore_changes_nothing(restored_database, tmp_path):
    dump = tmp_path / "season.dump"
    call_command("db_backup", output=dump, stdout=io.StringIO())
    call_command("db_restore", str(dump), database=restored_database.name, create=True, stdout=io.StringIO())
    before = _snapshot(restored_database)

    # A damaged file (cut in half) is refused before the database is touched.
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command(
            "db_restore", str(damaged), database=restored_database.name, interactive=False, safety_backup=False
        )
    assert _snapshot(restored_database) == before

    # A readable dump whose SQL fails late, after the schema reset and the data: all rolled back.
    broken_source = restored_database.other(f"{restored_database.name}_broken")
    backup.drop_database(broken_source)
    backup.create_database(broken_source)
    try:
        _execute(
            broken_source,
            "CREATE TABLE public.a (id int); INSERT INTO public.a VALUES (1)",
            "CREATE TABLE public.b (id int); INSERT INTO public.b VALUES (1)",
            # pg_dump restores with an empty search_path, so this function cannot find "b" then,
            # when the index is built after the tables and their data are loaded.
            "CREATE FUNCTION public.lookup(i int) RETURNS int LANGUAGE sql IMMUTABLE "
            "AS 'SELECT i + (SELECT count(*)::int FROM b)'",
            "CREATE INDEX a_lookup ON public.a (public.lookup(id))",
        )
        broken = backup.backup(output=tmp_path / "broken.dump", database=broken_source)
    finally:
        backup.drop_database(broken_source)
    with pytest.raises(CommandError, match="psql failed"):
        call_command("db_restore", str(broken), database=restored_database.name, interactive=False, safety_backup=False)
    assert _snapshot(restored_database) == before


@pytest.mark.django_db
def test_restore_needs_create_for_a_new_database(restored_database, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("db_restore", str(tmp_path / "x.dump"), database=restored_database.name, interactive=False)
    with pytest.raises(CommandError, match="needs --database"):
        call_command("db_restore", str(tmp_path / "x.dump"), create=True)


@pytest.mark.django_db
def test_scripts_back_up_into_backup_dir_and_prune_old_dumps(tmp_path):
    env = dict(
        os.environ,
        BACKUP_DIR=str(tmp_path),
        BACKUP_KEEP_DAYS="30",
        PYTHON=sys.executable,
        DATABASE_URL=_test_database_url(),  # the test database, not the developer's
    )
    old = tmp_path / "ektp-20200101-020000.dump"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    result = subprocess.run([str(ROOT / "scripts" / "backup.sh")], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    dumps = sorted(tmp_path.glob("ektp-*.dump"))
    assert len(dumps) == 1 and dumps[0] != old
    assert "Deleted old backup" in result.stdout
    listing = subprocess.run(
        [str(backup.find_tool("pg_restore", connection.pg_version // 10000)), "--list", str(dumps[0])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"dbname: {connection.settings_dict['NAME']}" in listing
    assert f"TABLE DATA public {Student._meta.db_table}" in listing


def _test_database_url() -> str:
    """DATABASE_URL for the database this test run uses (embedded socket or standalone server)."""
    db = connection.settings_dict
    host = str(db.get("OPTIONS", {}).get("host") or db.get("HOST") or "")
    user, name = quote(db.get("USER") or ""), db["NAME"]
    if host.startswith("/"):
        return f"postgresql://{user}:@/{name}?host={host}"
    password = quote(db.get("PASSWORD") or "")
    return f"postgresql://{user}:{password}@{host or 'localhost'}:{db.get('PORT') or 5432}/{name}"
