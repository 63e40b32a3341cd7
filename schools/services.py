"""Writes for schools: student-list uploads (preview, commit, cancel), NIK conflicts, students who
left, fixing one student, school-admin accounts, the personal-data access log and the purge of
stored files.

Every write runs in ``transaction.atomic``. Commits of one school are serialised by locking the
school's row (``select_for_update``), so two uploads for the same school cannot interleave.
Students are written in bulk (COPY for new rows, one UPDATE … FROM a COPY-filled temporary table
for changed rows); the pghistory triggers record every row's history for those statements too.
"""

from __future__ import annotations

import datetime
import io
import logging
import secrets
from dataclasses import dataclass

import pghistory
import pghistory.models
import pgtrigger
import psycopg2
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp_drives.personal_data import mask_personal_numbers
from ektp_drives.phones import normalize_phone
from schools import selectors
from schools.importing import coordinates
from schools.importing.plan import (
    CONFLICTED,
    NEW,
    UNCHANGED,
    UPDATED,
    Plan,
    build_plan,
    plan_details,
)
from schools.importing.readers import (
    CLI_MAX_BYTES,
    WEB_MAX_BYTES,
    WEB_MAX_ROWS,
    Table,
    UnreadableFile,
    read_table,
)
from schools.importing.rows import CleanRow, RowJudge
from schools.models import (
    AccountProfile,
    LeftProposal,
    NikConflict,
    PersonalDataAccess,
    School,
    SchoolAdmin,
    Student,
    StudentListUpload,
    eligibility_cutoff,
)
from schools.roles import SCHOOL_ADMIN_GROUP

logger = logging.getLogger(__name__)

UPLOAD_RETENTION_DAYS = 30
STORED_PROBLEMS_LIMIT = 50_000
NEW_STUDENTS_STORED = 500


class UploadNotOpen(Exception):
    """The upload is not waiting for confirmation (already committed, cancelled or failed)."""


class UploadFileGone(Exception):
    """The stored file was purged; the upload can no longer be committed."""


@dataclass
class Preview:
    """A read and judged file: the table, its normalised rows and the plan against the database."""

    table: Table
    rows: list[CleanRow]
    plan: Plan
    details: dict
    whole_list: bool = True


@dataclass
class CommitOutcome:
    upload: StudentListUpload
    committed: bool  # False when the data changed since the preview (a fresh preview was stored)


# --- reading and judging -------------------------------------------------------------------


def _judge(table: Table, *, today: datetime.date) -> list[CleanRow]:
    reference_date = selectors.eligibility_reference_date(today=today)  # two-digit years are read against it
    return RowJudge(nik_regions=selectors.nik_region_codes(), today=today, reference_date=reference_date).judge(table)


def _plan(rows: list[CleanRow], *, school: School, whole_list: bool, today: datetime.date) -> tuple[Plan, dict]:
    reference_date = selectors.eligibility_reference_date(today=today)
    existing = selectors.students_for_matching(school)
    niks = [row.nik for row in rows if row.nik and not row.has_error]
    plan = build_plan(
        rows,
        existing=existing,
        elsewhere=selectors.active_niks_elsewhere(school, niks),
        whole_list=whole_list,
        reference_date=reference_date,
        eligibility_cutoff=eligibility_cutoff(reference_date),
    )
    details = plan_details(plan, {s.id: s for s in existing})
    return plan, details


def student_list_preview(
    *,
    school: School,
    data: bytes,
    name: str,
    whole_list: bool = True,
    max_rows: int | None = WEB_MAX_ROWS,
    max_bytes: int = WEB_MAX_BYTES,
    today: datetime.date | None = None,
) -> Preview:
    """Read and judge a file against the school's students; nothing is written. Raises UnreadableFile."""
    today = today or timezone.localdate()
    table = read_table(data, name, max_rows=max_rows, max_bytes=max_bytes)
    if table.is_problem_rows_file:
        whole_list = False  # the problem rows of an earlier upload: never a whole list
    rows = _judge(table, today=today)
    plan, details = _plan(rows, school=school, whole_list=whole_list, today=today)
    return Preview(table=table, rows=rows, plan=plan, details=details, whole_list=whole_list)


def _store_preview(upload: StudentListUpload, preview: Preview) -> None:
    counts = preview.plan.counts
    upload.file_format = preview.table.file_format
    upload.reference_date = preview.plan.reference_date
    upload.rows = counts["rows"]
    upload.new_count = counts["new"]
    upload.updated_count = counts["updated"]
    upload.unchanged_count = counts["unchanged"]
    upload.not_imported_count = counts["not_imported"]
    upload.conflict_count = counts["conflicts"]
    upload.warning_count = counts["warnings"]
    upload.not_yet_eligible_count = counts["not_yet_eligible"]
    upload.left_count = counts["left"]
    upload.problems = [
        [p.row, p.column, p.severity, p.code, p.message] for p in preview.plan.problems[:STORED_PROBLEMS_LIMIT]
    ]
    upload.left_student_ids = preview.plan.left_ids
    upload.details = {
        **preview.details,
        "problem_total": len(preview.plan.problems),
        "title": preview.table.title[:5],
        # The new students by name, so the preview shows who would be added (the first ones).
        "new": [{"name": a.row.name, "class_name": a.row.class_name} for a in preview.plan.actions if a.action == NEW][
            :NEW_STUDENTS_STORED
        ],
    }
    upload.fingerprint = preview.plan.fingerprint
    upload.previewed_at = timezone.now()


def student_list_upload(
    *,
    school: School,
    data: bytes,
    name: str,
    by,
    source: str = StudentListUpload.Source.WEB,
    whole_list: bool = True,
    max_rows: int | None = WEB_MAX_ROWS,
    max_bytes: int = WEB_MAX_BYTES,
) -> tuple[StudentListUpload, Preview | None]:
    """Record an upload, read and judge it. A readable file is stored and the upload is previewed;
    an unreadable one is recorded as failed with one message, and nothing else is stored."""
    upload = StudentListUpload(
        school=school,
        uploaded_by=by if getattr(by, "is_authenticated", False) else None,
        source=source,
        whole_list=whole_list,
        original_name=(name or "berkas")[:255],
        file_size=len(data),
    )
    try:
        preview = student_list_preview(
            school=school, data=data, name=name, whole_list=whole_list, max_rows=max_rows, max_bytes=max_bytes
        )
    except UnreadableFile as exc:
        upload.status = StudentListUpload.Status.FAILED
        upload.failure_code = exc.code
        upload.failure_message = exc.message
        upload.save()
        return upload, None
    _store_preview(upload, preview)
    upload.whole_list = preview.whole_list
    upload.status = StudentListUpload.Status.PREVIEWED
    upload.file.save(name or "berkas", ContentFile(data), save=False)
    try:
        upload.save()
    except Exception:
        upload.file.delete(save=False)
        raise
    return upload, preview


def student_list_cancel(*, upload: StudentListUpload, by) -> StudentListUpload:
    """Cancel a previewed upload; nothing of it reaches the students."""
    with transaction.atomic():
        upload = StudentListUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.status != StudentListUpload.Status.PREVIEWED:
            raise UploadNotOpen
        upload.status = StudentListUpload.Status.CANCELLED
        upload.cancelled_at = timezone.now()
        upload.save(update_fields=["status", "cancelled_at"])
    return upload


def student_list_commit(*, upload: StudentListUpload, by, preview: Preview | None = None) -> CommitOutcome:
    """Write a previewed upload in one transaction.

    The school's row is locked first, then the plan is computed again against the database as it
    is now. When it differs from what the user saw (another upload or a decision came in between),
    nothing is written: the fresh preview is stored and ``committed`` is False. A NIK taken at the
    same moment by another school's upload (the unique index refuses the write) ends the same way.
    """
    try:
        return _commit(upload=upload, by=by, preview=preview)
    except IntegrityError:
        logger.warning("student list upload %s: concurrent change, preview refreshed", upload.pk)
        return _commit(upload=upload, by=by, preview=preview, refresh_only=True)


def _commit(*, upload: StudentListUpload, by, preview: Preview | None, refresh_only: bool = False) -> CommitOutcome:
    today = timezone.localdate()
    with transaction.atomic(), pghistory.context(student_list_upload=upload.pk):
        school = School.objects.select_for_update().get(pk=upload.school_id)
        upload = StudentListUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.status != StudentListUpload.Status.PREVIEWED:
            raise UploadNotOpen
        if preview is None:
            if not upload.has_file:
                raise UploadFileGone
            with upload.file.open("rb") as handle:
                data = handle.read()
            table = read_table(data, upload.original_name, max_rows=None, max_bytes=CLI_MAX_BYTES)
            rows = _judge(table, today=today)
        else:
            table, rows = preview.table, preview.rows
        plan, details = _plan(rows, school=school, whole_list=upload.whole_list, today=today)
        if refresh_only or plan.fingerprint != upload.fingerprint:
            _store_preview(upload, Preview(table=table, rows=rows, plan=plan, details=details))
            upload.save()
            return CommitOutcome(upload=upload, committed=False)

        now = timezone.now()
        upload.status = StudentListUpload.Status.COMMITTED
        upload.committed_at = now
        upload.committed_by = by if getattr(by, "is_authenticated", False) else None
        # This UPDATE also attaches the history context to the transaction before the COPY below.
        upload.save(update_fields=["status", "committed_at", "committed_by"])
        _write_students(plan, school=school, now=now)
        _write_conflicts(plan, upload=upload, school=school)
        _write_left_proposals(plan, upload=upload, by=upload.committed_by, now=now)
    logger.info("student list upload %s committed for school %s: %s", upload.pk, school.npsn, plan.counts)
    return CommitOutcome(upload=upload, committed=True)


# --- bulk writes ---------------------------------------------------------------------------

_COPY_COLUMNS = (
    "name",
    "gender",
    "birth_place",
    "birth_date",
    "nik",
    "kk",
    "nisn",
    "nipd",
    "class_name",
    "data_warnings",
)


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_line(values: dict) -> str:
    """One row of _COPY_COLUMNS in COPY's text format (text is already trimmed: no tabs or line breaks)."""
    line = "\t".join(
        (
            values["name"],
            values["gender"],
            values["birth_place"],
            values["birth_date"].isoformat(),
            values["nik"],
            values["kk"],
            values["nisn"],
            values["nipd"],
            values["class_name"],
            "{" + ",".join(values["data_warnings"]) + "}",
        )
    )
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(_COPY_COLUMNS) - 1:
        line = "\t".join(_copy_text(values[c]) for c in _COPY_COLUMNS)
    return line


def _copy_line_new(row: CleanRow, warnings: list[str]) -> str:
    """_copy_line for a new student, straight from the judged row."""
    line = (
        f"{row.name}\t{row.gender}\t{row.birth_place}\t{row.birth_date.isoformat()}\t{row.nik}\t{row.kk}\t"
        f"{row.nisn}\t{row.nipd}\t{row.class_name}\t{{{','.join(warnings)}}}"
    )
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(_COPY_COLUMNS) - 1:
        values = {name: getattr(row, name) for name in _COPY_COLUMNS if name != "data_warnings"}
        line = _copy_line({**values, "data_warnings": warnings})
    return line


def _copy(cursor, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    if not lines:
        return
    buffer = io.StringIO("".join(lines))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _student_event_model():
    """The pghistory event model that records Student's inserts and updates."""
    return next(
        model
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and model.pgh_tracked_model is Student
    )


def _record_student_history(cursor, *, ids: list[int], label: str) -> None:
    """Write the history rows of ``ids`` as pghistory's row trigger would, in one statement.

    The bulk paths below switch the row triggers off for their own statement (``pgtrigger.ignore``)
    because the per-row trigger cost dominated the import (see docs/adr); every other write to
    Student keeps the trigger. Columns come from the event model, so they follow the tracker.
    """
    if not ids:
        return
    event_model = _student_event_model()
    columns = [f.column for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")]
    tracked = ", ".join(f'"{c}"' for c in columns)
    source = ", ".join(f's."{c}"' for c in columns)
    cursor.execute(
        f"WITH ctx AS (SELECT _pgh_attach_context() AS id) "  # noqa: S608 (column names from the model)
        f'INSERT INTO "{event_model._meta.db_table}" ({tracked}, "pgh_context_id", "pgh_created_at", '
        f'"pgh_label", "pgh_obj_id") '
        f"SELECT {source}, ctx.id, NOW(), %s, s.id FROM unnest(%s::bigint[]) AS changed(id) "
        f"JOIN schools_student s ON s.id = changed.id CROSS JOIN ctx ORDER BY s.id",
        [label, ids],
    )


STUDENT_ROW_TRIGGERS = ("schools.Student:insert_insert", "schools.Student:update_update")


def _write_students(plan: Plan, *, school: School, now: datetime.datetime) -> None:
    """Write changed rows (UPDATE … FROM a COPY-filled temporary table) and new rows (COPY),
    then their history rows, set-based."""
    stamp = now.isoformat()
    updates = [a for a in plan.actions if a.action == UPDATED]
    news = [a for a in plan.actions if a.action == NEW]
    if not updates and not news:
        return
    refused = None
    with pgtrigger.ignore(*STUDENT_ROW_TRIGGERS):
        try:
            # A savepoint: a write refused by the database leaves the transaction usable, so the
            # trigger flag can be reset on the way out and the caller sees the IntegrityError.
            with transaction.atomic():
                _write_student_rows(updates, news, school=school, now=now, stamp=stamp)
        except (IntegrityError, psycopg2.IntegrityError) as exc:  # COPY raises psycopg2's own class
            refused = exc
    if refused is not None:
        raise IntegrityError(str(refused)) from refused


def _write_student_rows(updates, news, *, school: School, now: datetime.datetime, stamp: str) -> None:
    with connection.cursor() as cursor:
        # This first statement also sets the ignore flag (and the history context) for the
        # transaction, so the COPY statements below run under them too.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('schools_student', 'id')) FROM generate_series(1, %s)",
            [len(news)],
        )
        new_ids = [row[0] for row in cursor.fetchall()]
        if updates:
            # Updates first: a NIK corrected on one student must be free before a new row takes it.
            cursor.execute(
                "CREATE TEMP TABLE import_student_update ("
                "id bigint, name varchar(200), gender varchar(1), birth_place varchar(100), birth_date date, "
                "nik varchar(16), kk varchar(16), nisn varchar(10), nipd varchar(30), class_name varchar(50), "
                "data_warnings varchar(40)[]) ON COMMIT DROP"
            )
            lines = [f"{a.student_id}\t{_copy_line(a.values)}\n" for a in updates]
            _copy(cursor, "import_student_update", ("id", *_COPY_COLUMNS), lines)
            cursor.execute(
                "UPDATE schools_student s SET name = u.name, gender = u.gender, birth_place = u.birth_place, "
                "birth_date = u.birth_date, nik = u.nik, kk = u.kk, nisn = u.nisn, nipd = u.nipd, "
                "class_name = u.class_name, data_warnings = u.data_warnings, is_active = true, left_on = NULL, "
                "updated_at = %s FROM import_student_update u WHERE s.id = u.id AND s.school_id = %s",
                [now, school.pk],
            )
            cursor.execute("DROP TABLE import_student_update")
            _record_student_history(cursor, ids=[a.student_id for a in updates], label="update")
        if news:
            tail = f"\t{school.pk}\tt\t\\N\t{stamp}\t{stamp}\n"
            lines = [
                f"{new_id}\t{_copy_line_new(a.row, a.warnings)}{tail}" for new_id, a in zip(new_ids, news, strict=True)
            ]
            _copy(
                cursor,
                "schools_student",
                ("id", *_COPY_COLUMNS, "school_id", "is_active", "left_on", "created_at", "updated_at"),
                lines,
            )
            _record_student_history(cursor, ids=new_ids, label="insert")


def _conflict_data(action) -> dict:
    values = {name: getattr(action.row, name) for name in _COPY_COLUMNS if name != "data_warnings"}
    values["birth_date"] = values["birth_date"].isoformat() if values["birth_date"] else None
    values["data_warnings"] = action.warnings
    return values


def _write_conflicts(plan: Plan, *, upload: StudentListUpload, school: School) -> None:
    conflicts = plan.of(CONFLICTED)
    if not conflicts:
        return
    pending = {
        c.nik: c
        for c in NikConflict.objects.select_for_update().filter(
            school=school, status=NikConflict.Status.PENDING, nik__in=[a.row.nik for a in conflicts]
        )
    }
    new, changed = [], []
    for action in conflicts:
        conflict = pending.get(action.row.nik)
        fields = {
            "upload": upload,
            "existing_student_id": action.conflict.student_id,
            "row_number": action.row.number,
            "data": _conflict_data(action),
        }
        if conflict is None:
            new.append(NikConflict(school=school, nik=action.row.nik, **fields))
        else:
            for key, value in fields.items():
                setattr(conflict, key, value)
            changed.append(conflict)
    NikConflict.objects.bulk_create(new)
    NikConflict.objects.bulk_update(changed, ["upload", "existing_student_id", "row_number", "data"])


def _write_left_proposals(plan: Plan, *, upload: StudentListUpload, by, now) -> None:
    present = [a.student_id for a in plan.actions if a.action in (UPDATED, UNCHANGED) and a.student_id]
    if present:
        LeftProposal.objects.filter(student_id__in=present, status=LeftProposal.Status.PENDING).update(
            status=LeftProposal.Status.DISMISSED, decided_at=now, decided_by=by
        )
    if not plan.left_ids:
        return
    already = set(
        LeftProposal.objects.filter(student_id__in=plan.left_ids, status=LeftProposal.Status.PENDING).values_list(
            "student_id", flat=True
        )
    )
    LeftProposal.objects.bulk_create(
        [LeftProposal(upload=upload, student_id=pk) for pk in plan.left_ids if pk not in already]
    )


# --- NIK conflicts and students who left (supervisors) --------------------------------------


class AlreadyDecided(Exception):
    """The conflict or proposal was decided by someone else meanwhile."""


def _lock_schools(*school_ids: int) -> None:
    for pk in sorted(set(school_ids)):
        School.objects.select_for_update().get(pk=pk)


def nik_conflict_resolve(*, conflict: NikConflict, by, move: bool) -> NikConflict:
    """Move the student to the uploading school (the old record is marked left), or reject the row."""
    with transaction.atomic():
        existing = Student.objects.get(pk=conflict.existing_student_id)
        _lock_schools(conflict.school_id, existing.school_id)
        conflict = NikConflict.objects.select_for_update().get(pk=conflict.pk)
        if conflict.status != NikConflict.Status.PENDING:
            raise AlreadyDecided
        now = timezone.now()
        if move:
            existing = Student.objects.select_for_update().get(pk=conflict.existing_student_id)
            if existing.is_active:
                existing.is_active = False
                existing.left_on = timezone.localdate()
                existing.save(update_fields=["is_active", "left_on", "updated_at"])
            conflict.student = _student_from_conflict(conflict)
            conflict.status = NikConflict.Status.MOVED
        else:
            conflict.status = NikConflict.Status.REJECTED
        conflict.resolved_at = now
        conflict.resolved_by = by
        conflict.save(update_fields=["status", "resolved_at", "resolved_by", "student"])
    return conflict


def _student_from_conflict(conflict: NikConflict) -> Student:
    data = dict(conflict.data)
    birth_date = datetime.date.fromisoformat(data["birth_date"])
    values = {
        "name": data.get("name", ""),
        "gender": data.get("gender", ""),
        "birth_place": data.get("birth_place", ""),
        "birth_date": birth_date,
        "nik": conflict.nik,
        "kk": data.get("kk", ""),
        "nisn": data.get("nisn", ""),
        "nipd": data.get("nipd", ""),
        "class_name": data.get("class_name", ""),
        "data_warnings": data.get("data_warnings", []),
    }
    # The same student may already be listed here without a NIK (matched by NISN or name + birth date).
    candidates = (
        Student.objects.select_for_update(of=("self",))
        .filter(school_id=conflict.school_id, is_active=True)
        .order_by("pk")
    )
    student = None
    if values["nisn"]:
        student = candidates.filter(nisn=values["nisn"]).first()
    if student is None:
        student = candidates.filter(name__iexact=values["name"], birth_date=birth_date).first()
    if student is None:
        return Student.objects.create(school_id=conflict.school_id, **values)
    for key, value in values.items():
        if value not in ("", None):
            setattr(student, key, value)
    student.data_warnings = values["data_warnings"]
    student.save()
    return student


# --- fixing one student ------------------------------------------------------------------------

STUDENT_EDITABLE_FIELDS = frozenset(
    {"name", "gender", "birth_place", "birth_date", "nik", "kk", "nisn", "nipd", "class_name", "data_warnings"}
)


class StudentNikTaken(Exception):
    """The NIK belongs to another active student (``other``; None when only the database noticed)."""

    def __init__(self, other: Student | None = None):
        super().__init__("NIK already used by another active student")
        self.other = other


def student_update(*, student: Student, by, **fields) -> list[str]:
    """Change a student's data (values already normalised by the import's row rules, e.g.
    ``StudentForm``); return the names of the fields that changed.

    The school's row is locked first, as a student-list commit does, so a fix and a commit of the
    same school never interleave. A NIK held by another active student raises ``StudentNikTaken``
    (checked first, and again by the unique constraint for a concurrent write). The history entry
    carries ``by``.
    """
    unknown = set(fields) - STUDENT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"student_update() cannot change {sorted(unknown)}")
    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    with transaction.atomic(), pghistory.context(user=user_id):
        _lock_schools(student.school_id)
        locked = Student.objects.select_for_update().get(pk=student.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        if not changed:
            return []
        nik = fields.get("nik", locked.nik)
        if "nik" in changed and nik and locked.is_active:
            other = (
                Student.objects.filter(is_active=True, nik=nik).exclude(pk=locked.pk).select_related("school").first()
            )
            if other is not None:
                raise StudentNikTaken(other)
        for name in changed:
            setattr(locked, name, fields[name])
        try:
            with transaction.atomic():
                locked.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            if "student_nik_unique_among_active" in str(exc):
                raise StudentNikTaken() from None
            raise
    for name in changed:
        setattr(student, name, fields[name])
    student.updated_at = locked.updated_at
    return changed


def left_proposals_decide(*, proposals, by, confirm: bool) -> int:
    """Confirm (the students are marked left, nothing is deleted) or dismiss pending proposals."""
    ids = [p.pk for p in proposals]
    with transaction.atomic():
        # The schools first, as an upload's commit does: a decision never interleaves with one.
        _lock_schools(*LeftProposal.objects.filter(pk__in=ids).values_list("student__school_id", flat=True))
        locked = list(
            LeftProposal.objects.select_for_update()
            .filter(pk__in=ids, status=LeftProposal.Status.PENDING)
            .select_related("student")
        )
        now = timezone.now()
        today = timezone.localdate()
        for proposal in locked:
            if confirm and proposal.student.is_active:
                student = proposal.student
                student.is_active = False
                student.left_on = today
                student.save(update_fields=["is_active", "left_on", "updated_at"])
            proposal.status = LeftProposal.Status.CONFIRMED if confirm else LeftProposal.Status.DISMISSED
            proposal.decided_at = now
            proposal.decided_by = by
        LeftProposal.objects.bulk_update(locked, ["status", "decided_at", "decided_by"])
    return len(locked)


# --- school admin accounts -------------------------------------------------------------------

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet, not a password)


def one_time_password() -> str:
    """A readable random password (no 0/O, 1/l), e.g. ``k7mq-x2dp-ha9w``."""
    groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def _end_sessions(user) -> int:
    """Delete every session of a user (database sessions)."""
    ended = 0
    user_pk = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_pk:
            session.delete()
            ended += 1
    return ended


def _require_plain_school_admin(user) -> None:
    """Account actions touch only plain school-admin accounts (not staff, superusers, Dukcapil staff)."""
    if not selectors.school_admin_accounts().filter(pk=user.pk).exists():
        raise PermissionDenied


def school_admin_create(
    *, school: School, username: str, full_name: str, phone: str = "", email: str = "", by
) -> tuple[object, str]:
    """Create a school admin account with a one-time password (returned once, never stored)."""
    password = one_time_password()
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password, first_name=full_name[:150]
        )
        user.groups.add(Group.objects.get(name=SCHOOL_ADMIN_GROUP))
        SchoolAdmin.objects.create(school=school, user=user)
        AccountProfile.objects.create(user=user, phone=phone, must_change_password=True, created_by=by)
        _require_plain_school_admin(user)
    logger.info("school admin account %s created for school %s by %s", user.username, school.npsn, by)
    return user, password


def school_admin_reset_password(*, user, by) -> str:
    """Give a school admin a new one-time password (the account is active again); sessions end."""
    _require_plain_school_admin(user)
    password = one_time_password()
    with transaction.atomic():
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        profile, _created = AccountProfile.objects.get_or_create(user=user, defaults={"created_by": by})
        profile.must_change_password = True
        profile.deactivated_at = None
        profile.save(update_fields=["must_change_password", "deactivated_at"])
        _end_sessions(user)
        # Whoever holds the password can open the school's personal data: the access log says who gave it.
        link = user.school_links.select_related("school").first()
        personal_data_access_record(
            user=by,
            school=link.school if link else None,
            kind=PersonalDataAccess.Kind.PASSWORD_RESET,
            detail=f"akun {user.username}",
        )
    logger.info("one-time password issued for %s by %s", user.username, by)
    return password


def school_admin_deactivate(*, user, by) -> None:
    """Deactivate a school admin account; its sessions end at once."""
    _require_plain_school_admin(user)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        profile, _created = AccountProfile.objects.get_or_create(user=user, defaults={"created_by": by})
        profile.deactivated_at = timezone.now()
        profile.save(update_fields=["deactivated_at"])
        ended = _end_sessions(user)
    logger.info("school admin account %s deactivated by %s (%s sessions ended)", user.username, by, ended)


def account_password_changed(*, user) -> None:
    """Clear the forced password change after the user set their own password."""
    AccountProfile.objects.filter(user=user).update(must_change_password=False, password_changed_at=timezone.now())


# --- personal-data access log -------------------------------------------------------------------


def personal_data_access_record(
    *, user, school: School | None, kind: PersonalDataAccess.Kind | str, detail: str = ""
) -> PersonalDataAccess:
    """Record that ``user`` viewed or downloaded personal data of ``school`` (None: several schools).

    One INSERT, in the request: when it fails, the page fails too (the log cannot be skipped). Any
    16-digit number in ``detail`` is masked, so the log never holds a NIK or No KK.
    """
    with transaction.atomic():
        return PersonalDataAccess.objects.create(
            user=user,
            school=school,
            kind=PersonalDataAccess.Kind(kind),
            detail=mask_personal_numbers(detail)[:300],
        )


# --- retention ---------------------------------------------------------------------------------


def uploads_purge(*, now: datetime.datetime | None = None, days: int = UPLOAD_RETENTION_DAYS) -> int:
    """Delete stored files of uploads older than ``days``; the upload records stay."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    purged = 0
    for upload in StudentListUpload.objects.filter(created_at__lt=cutoff, file_purged_at__isnull=True).exclude(file=""):
        upload.file.delete(save=False)
        upload.file = ""
        upload.file_purged_at = now
        upload.save(update_fields=["file", "file_purged_at"])
        purged += 1
    return purged


# --- school profile (address, contact, location, travel) ----------------------------------------

SCHOOL_PROFILE_FIELDS = frozenset(
    {"address", "contact_name", "contact_phone", "latitude", "longitude", "distance_km", "travel_minutes"}
)


def school_profile_update(*, school: School, by, **fields) -> list[str]:
    """Change a school's profile fields (``SCHOOL_PROFILE_FIELDS``); return the names that changed.

    The contact phone is stored in its normal form (``normalize_phone``; a malformed number raises
    ValidationError); latitude and longitude are set together or cleared together. The school's
    row is locked, and the history entry (pghistory) carries ``by``.
    """
    unknown = set(fields) - SCHOOL_PROFILE_FIELDS
    if unknown:
        raise TypeError(f"school_profile_update() cannot change {sorted(unknown)}")
    if fields.get("contact_phone"):
        try:
            fields["contact_phone"] = normalize_phone(fields["contact_phone"])
        except ValidationError as exc:
            raise ValidationError({"contact_phone": exc.messages}) from None
    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    with transaction.atomic(), pghistory.context(user=user_id):
        locked = School.objects.select_for_update().get(pk=school.pk)
        changed = [name for name, value in fields.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, fields[name])
        if (locked.latitude is None) != (locked.longitude is None):
            raise ValidationError(_("Isi lintang dan bujur bersama-sama, atau kosongkan keduanya."))
        if changed:
            locked.save(update_fields=changed)
    for name in changed:
        setattr(school, name, fields[name])
    return changed


# --- school coordinates from a file (supervisors) ------------------------------------------------


class CoordinatesChanged(Exception):
    """A school's coordinates changed between the preview and the import: nothing was written."""


def school_coordinates_preview(*, data: bytes, name: str) -> coordinates.CoordinatePlan:
    """Read and judge a coordinates file against every school (two queries); nothing is written.
    Raises UnreadableFile."""
    lines = coordinates.read_lines(data, name)
    schools = {
        npsn: (pk, school_name, latitude, longitude)
        for pk, npsn, school_name, latitude, longitude in School.objects.values_list(
            "pk", "npsn", "name", "latitude", "longitude"
        )
    }
    return coordinates.judge(lines, schools=schools)


def school_coordinates_import(*, changes: list[coordinates.CoordinateChange], by, source: str = "") -> int:
    """Write the previewed changes in one transaction; return how many schools changed.

    The schools' rows are locked (in id order) and compared with the values the preview showed:
    when any differs (someone edited a school meanwhile), nothing is written and
    ``CoordinatesChanged`` is raised. Re-importing the same file afterwards finds nothing to change.
    """
    if not changes:
        return 0
    user_id = by.pk if getattr(by, "is_authenticated", False) else None
    by_id = {change.school_id: change for change in changes}
    with transaction.atomic(), pghistory.context(user=user_id, coordinates_import=source[:100]):
        locked = list(School.objects.select_for_update().filter(pk__in=list(by_id)).order_by("pk"))
        if len(locked) != len(by_id):
            raise CoordinatesChanged
        for school in locked:
            change = by_id[school.pk]
            if (school.latitude, school.longitude) != (change.old_latitude, change.old_longitude):
                raise CoordinatesChanged
            school.latitude, school.longitude = change.latitude, change.longitude
        School.objects.bulk_update(locked, ["latitude", "longitude"], batch_size=1000)
    logger.info("coordinates of %s schools imported by %s", len(locked), by)
    return len(locked)
