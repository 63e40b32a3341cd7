"""Drive-wide progress figures kept warm in the process, never stale.

Counting a whole drive takes seconds at national scale (a million students), so the progress pages
keep each drive's per-school rows and chart changes in memory and bring them up to date on every
request from the change history that PostgreSQL triggers already write (django-pghistory event
tables: every insert, update and delete of students, schools, drives, drive schools, visits and
outcomes, including bulk writes and COPY).

How the numbers stay exact:

1. Every read runs in one REPEATABLE READ transaction whose first statement reads the highest
   event id of each tracked table (the "marks"). A result is stored only when it was computed in a
   *clean* snapshot: one taken while no transaction was writing a tracked table. A second, short
   connection takes SHARE locks on the tracked tables (waiting at most ``LOCK_WAIT`` for writers in
   flight to finish), exports its snapshot and ends at once; the page's transaction imports that
   snapshot (``SET TRANSACTION SNAPSHOT``). Writers wait a few milliseconds at most. In a clean
   snapshot every event not yet visible gets an id above the marks (ids are drawn when rows are
   written), so "same marks" means "same data".
2. A stored entry is reused as is only when the marks are unchanged. Otherwise the events above
   the entry's marks name the schools touched since (a student's old and new school, the school
   of an outcome's student, a visit's school, a school joining or leaving the drive); those
   schools are counted again in the same snapshot and merged, so the page shows exactly the state
   of its snapshot. A change to the drive itself, too many schools, or a change whose earlier
   state is unknown (a row written with the triggers switched off) means a full count.
3. When writers keep the lock busy, the page is still computed exactly in its own snapshot (from
   the last clean entry), only not stored.

Writes that bypass the triggers (``pgtrigger.ignore``, ``session_replication_role = replica``,
TRUNCATE, restoring a backup into a running server) must call ``progress_cache_clear()`` or restart
the app. Kecamatan names are reference data (not tracked): renaming one needs a restart.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
from dataclasses import dataclass, field

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from recordings.models import Drive
from recordings.selectors import SchoolProgressRow, drive_daily_changes, drive_school_rows

# (app label, model) of each tracked table whose events can change a drive's progress.
TRACKED = (
    ("schools", "School"),
    ("schools", "Student"),
    ("recordings", "Drive"),
    ("recordings", "DriveSchool"),
    ("recordings", "Visit"),
    ("recordings", "Recording"),
)
# Above this many touched schools a full count is about as cheap as counting them one by one.
INCREMENTAL_LIMIT = 1000
MAX_ENTRIES = 8
# How long the snapshot connection waits for writers in flight (shorter than deadlock_timeout, 1 s).
LOCK_WAIT = "200ms"

_entries: dict[tuple[int, datetime.date], _Entry] = {}
_lock = threading.Lock()


@dataclass
class _Entry:
    marks: tuple[int, ...]
    rows: dict[int, SchoolProgressRow]
    changes: dict[int, dict[datetime.date, int]]
    memo: dict = field(default_factory=dict)  # figures derived from these rows (sums, sort orders)


@dataclass
class DriveSnapshot:
    """A drive's school rows and daily changes, exact as of one database snapshot."""

    drive: Drive
    rows: dict[int, SchoolProgressRow]
    changes: dict[int, dict[datetime.date, int]]
    source: str  # "hit", "incremental", "full" (stored or not) or "direct" (no caching possible)
    stats: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)  # shared by every request reading the same entry

    def memoized(self, key, compute):
        """Derive something from the rows once per entry (the rows never change under it)."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value


def progress_cache_clear() -> None:
    """Forget every stored entry (after writes that bypass the history triggers)."""
    with _lock:
        _entries.clear()
    _drop_snapshot_connection()


def _table(model_label: tuple[str, str], event: bool = False) -> str:
    app_label, name = model_label
    return apps.get_model(app_label, name + ("Event" if event else ""))._meta.db_table


def _marks() -> tuple[int, ...]:
    """The highest event id per tracked table, in the current snapshot (one query)."""
    tables = [_table(t, event=True) for t in TRACKED]
    sql = "SELECT " + ", ".join(f"(SELECT COALESCE(MAX(pgh_id), 0) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


_aux = threading.local()
_aux_all: list = []  # every thread's second connection, so shutdown (or a test run) can close them


def _snapshot_connection():
    """This thread's second connection (kept open: connecting costs more than the lock)."""
    aux = getattr(_aux, "connection", None)
    if aux is None or aux.connection is None or aux.connection.closed:
        aux = _aux.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        aux.set_autocommit(False)
        with _lock:
            _aux_all[:] = [c for c in _aux_all if c.connection is not None and not c.connection.closed]
            _aux_all.append(aux)
    return aux


def _drop_snapshot_connection() -> None:
    aux = getattr(_aux, "connection", None)
    _aux.connection = None
    if aux is not None:
        aux.close()


def snapshot_connections_close() -> None:
    """Close every thread's second connection (e.g. before the test database is dropped)."""
    with _lock:
        pending, _aux_all[:] = list(_aux_all), []
    for aux in pending:
        raw = aux.connection
        if raw is not None and not raw.closed:
            raw.close()  # the psycopg2 connection itself: Django's close() refuses other threads'


def _export_clean_snapshot() -> str | None:
    """On the second connection, lock out writers of the tracked tables and export its snapshot.

    Returns the snapshot id, or None when writers kept the lock longer than LOCK_WAIT. The caller
    imports the snapshot, then calls ``_release_snapshot()`` (which drops the lock).
    """
    try:
        aux = _snapshot_connection()
        with aux.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
            tables = ", ".join(_table(t) for t in TRACKED)
            cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
            cursor.execute("SELECT pg_export_snapshot()")
            return cursor.fetchone()[0]
    except DatabaseError:
        _drop_snapshot_connection()
        return None


def _release_snapshot() -> None:
    """End the exporting transaction: the lock goes, the imported snapshot stays."""
    try:
        _aux.connection.rollback()
    except DatabaseError:
        _drop_snapshot_connection()


@contextlib.contextmanager
def _repeatable_read(*, clean: bool = False):
    """A read-only REPEATABLE READ transaction; with ``clean``, in a snapshot no writer was inside.

    Yields whether the snapshot is clean.
    """
    with transaction.atomic():
        got_clean = False
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if clean:
                snapshot_id = _export_clean_snapshot()
                if snapshot_id is not None:
                    try:
                        cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
                        got_clean = True
                    finally:
                        _release_snapshot()
        yield got_clean


def _touched_schools(drive: Drive, marks: tuple[int, ...]) -> set[int] | None:
    """Schools whose rows may differ since ``marks``; None when only a full count is safe (one query)."""
    mark = dict(zip(TRACKED, marks, strict=True))
    ev = {t: _table(t, event=True) for t in TRACKED}
    student, visit = _table(("schools", "Student")), _table(("recordings", "Visit"))
    school_m, student_m = ("schools", "School"), ("schools", "Student")
    drive_m, link_m = ("recordings", "Drive"), ("recordings", "DriveSchool")
    visit_m, recording_m = ("recordings", "Visit"), ("recordings", "Recording")
    sql = f"""
        WITH
        drive_changed AS (
            SELECT 1 FROM {ev[drive_m]} WHERE pgh_id > %s AND pgh_obj_id = %s LIMIT 1
        ),
        new_students AS (SELECT DISTINCT pgh_obj_id FROM {ev[student_m]} WHERE pgh_id > %s),
        unknown_before AS (
            SELECT 1 FROM new_students n
            WHERE NOT EXISTS (
                SELECT 1 FROM {ev[student_m]} e WHERE e.pgh_obj_id = n.pgh_obj_id AND e.pgh_label = 'insert'
            )
            LIMIT 1
        ),
        new_visits AS (SELECT DISTINCT pgh_obj_id FROM {ev[visit_m]} WHERE pgh_id > %s),
        new_recordings AS (SELECT DISTINCT pgh_obj_id FROM {ev[recording_m]} WHERE pgh_id > %s),
        touched AS (
            SELECT pgh_obj_id AS school_id FROM {ev[school_m]} WHERE pgh_id > %s
            UNION
            SELECT e.school_id FROM {ev[link_m]} e
            WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM {ev[link_m]} WHERE pgh_id > %s) AND e.drive_id = %s
            UNION
            SELECT e.school_id FROM {ev[student_m]} e WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM new_students)
            UNION
            SELECT e.school_id FROM {ev[visit_m]} e
            WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM new_visits) AND e.drive_id = %s
            UNION
            SELECT s.school_id FROM {ev[recording_m]} e
            JOIN {visit} v ON v.id = e.visit_id AND v.drive_id = %s
            JOIN {student} s ON s.id = e.student_id
            WHERE e.pgh_obj_id IN (SELECT pgh_obj_id FROM new_recordings)
            UNION
            SELECT s.school_id FROM {_table(recording_m)} r
            JOIN {student} s ON s.id = r.student_id
            WHERE r.visit_id IN (SELECT pgh_obj_id FROM new_visits)
        )
        SELECT EXISTS (SELECT 1 FROM drive_changed) OR EXISTS (SELECT 1 FROM unknown_before),
            (SELECT array_agg(school_id) FROM (SELECT school_id FROM touched LIMIT %s) limited)
    """  # noqa: S608 - only table names from the models are formatted in
    params = [
        mark[drive_m],
        drive.pk,
        mark[student_m],
        mark[visit_m],
        mark[recording_m],
        mark[school_m],
        mark[link_m],
        drive.pk,
        drive.pk,
        drive.pk,
        INCREMENTAL_LIMIT + 1,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        full, schools = cursor.fetchone()
    schools = set(schools or ())
    if full or len(schools) > INCREMENTAL_LIMIT:
        return None
    return schools


def _store(key, entry: _Entry) -> None:
    with _lock:
        _entries.pop(key, None)
        _entries[key] = entry
        while len(_entries) > MAX_ENTRIES:
            _entries.pop(next(iter(_entries)))


def drive_snapshot(drive: Drive, *, today: datetime.date | None = None) -> DriveSnapshot:
    """Return every school row and the chart changes of a drive, exact and cached where possible.

    A hit costs one short transaction (SET TRANSACTION and the marks); a miss recounts the touched
    schools (or all) in a clean snapshot when it can get one quickly, and stores the result.
    """
    today = today or timezone.localdate()
    if connection.in_atomic_block:
        # The isolation level can only be chosen by the outermost transaction (e.g. inside tests).
        rows = drive_school_rows(drive, today=today)
        return DriveSnapshot(drive, rows, drive_daily_changes(drive), source="direct")
    key = (drive.pk, today)
    entry = _entries.get(key)
    if entry is not None:
        with _repeatable_read():
            if _marks() == entry.marks:
                return DriveSnapshot(drive, entry.rows, entry.changes, source="hit", memo=entry.memo)
    with _repeatable_read(clean=True) as clean:
        marks = _marks()
        entry = _entries.get(key)  # another thread may have stored a newer one meanwhile
        if entry is not None and entry.marks == marks:
            return DriveSnapshot(drive, entry.rows, entry.changes, source="hit", memo=entry.memo)
        drive = Drive.objects.get(pk=drive.pk)  # as of this snapshot
        touched = None
        if entry is not None and all(new >= old for new, old in zip(marks, entry.marks, strict=True)):
            touched = _touched_schools(drive, entry.marks)
        if touched is not None:
            rows, changes = dict(entry.rows), dict(entry.changes)
            fresh_rows = drive_school_rows(drive, schools=touched, today=today) if touched else {}
            fresh_changes = drive_daily_changes(drive, schools=touched) if touched else {}
            for school_id in touched:
                rows.pop(school_id, None)
                changes.pop(school_id, None)
            rows.update(fresh_rows)
            changes.update(fresh_changes)
            source = "incremental"
        else:
            rows = drive_school_rows(drive, today=today)
            changes = drive_daily_changes(drive)
            source = "full"
        memo: dict = {}
        if clean:
            _store(key, _Entry(marks, rows, changes, memo))
        stats = {"clean": clean, "touched": len(touched or ())}
        return DriveSnapshot(drive, rows, changes, source=source, stats=stats, memo=memo)
