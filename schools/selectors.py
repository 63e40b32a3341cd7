"""Reads about schools, students and student-list uploads (querysets shaped here, not in views)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from schools.importing.plan import Elsewhere, Existing
from schools.importing.rows import WARNING_LABELS
from schools.importing.title import download_date_in_title, title_names_another_school
from schools.models import (
    ROUNDED_CODES,
    LeftProposal,
    NikConflict,
    NikRegion,
    PersonalDataAccess,
    School,
    SchoolAdmin,
    Student,
    StudentListUpload,
)
from schools.roles import OPERATOR_GROUP, SCHOOL_ADMIN_GROUP, SUPERVISOR_GROUP


def nik_region_codes() -> frozenset[str]:
    """The six-digit kecamatan codes a NIK may start with (national table)."""
    return frozenset(NikRegion.objects.values_list("code", flat=True))


# Set by the recordings app when it loads (schools never imports recordings): today -> the active
# drive's reference date for ages, or None when there is no drive.
reference_date_source: Callable[[datetime.date], datetime.date | None] | None = None


def eligibility_reference_date(*, today: datetime.date | None = None) -> datetime.date:
    """The active drive's reference date for ages, or today when there is no drive."""
    today = today or timezone.localdate()
    found = reference_date_source(today) if reference_date_source else None
    return found or today


def students_for_matching(school: School) -> list[Existing]:
    """The school's active students, and those who left but still carry a NIK, for matching."""
    fields = (
        "id",
        "name",
        "gender",
        "birth_place",
        "birth_date",
        "nik",
        "kk",
        "nisn",
        "nipd",
        "class_name",
        "is_active",
        "data_warnings",
    )
    rows = (
        Student.objects.filter(school=school)
        .filter(Q(is_active=True) | ~Q(nik=""))
        .order_by("-is_active", "id")
        .values_list(*fields)
    )
    return [Existing(*row) for row in rows]


def active_niks_elsewhere(school: School, niks: list[str]) -> dict[str, Elsewhere]:
    """Active students of other schools holding one of these NIKs (one query, any list size)."""
    if not niks:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.nik, s.id, s.school_id, sc.name
            FROM schools_student s JOIN schools_school sc ON sc.id = s.school_id
            WHERE s.is_active AND s.school_id <> %s AND s.nik = ANY(%s)
            """,
            [school.pk, niks],
        )
        return {nik: Elsewhere(student_id, school_id, name) for nik, student_id, school_id, name in cursor.fetchall()}


def uploads_visible(queryset: QuerySet[StudentListUpload]) -> QuerySet[StudentListUpload]:
    return queryset.select_related("school", "uploaded_by", "committed_by").defer(
        "problems", "details", "left_student_ids"
    )


LEFT_WARNING_SHARE = 0.20
DOWNLOAD_WARNING_DAYS = 30


@dataclass(frozen=True)
class UploadWarning:
    """Something a user must look at before saving a student list (saving is then a second step)."""

    code: str
    message: str


def upload_warnings(upload: StudentListUpload, *, today: datetime.date | None = None) -> list[UploadWarning]:
    """What to check before "Simpan": many leavers, an old Dapodik download, another school's title."""
    today = today or timezone.localdate()
    details = upload.details or {}
    title = details.get("title", [])
    found = []
    named = title_names_another_school(title, upload.school.name)
    if named:
        found.append(
            UploadWarning(
                "title_school",
                _("Judul berkas menyebut sekolah %(named)s, bukan %(school)s.")
                % {"named": named, "school": upload.school.name},
            )
        )
    if upload.left_count:
        active = Student.objects.filter(school_id=upload.school_id, is_active=True).count()
        if active and upload.left_count > LEFT_WARNING_SHARE * active:
            found.append(
                UploadWarning(
                    "many_left",
                    _(
                        "%(left)s dari %(active)s peserta didik aktif (%(share)s %%) tidak ada di berkas ini dan "
                        "akan diusulkan keluar. Pastikan berkasnya daftar lengkap sekolah ini."
                    )
                    % {
                        "left": upload.left_count,
                        "active": active,
                        "share": number_format(upload.left_count * 100 / active, 0),
                    },
                )
            )
    downloaded = download_date_in_title(title)
    if downloaded and (today - downloaded).days > DOWNLOAD_WARNING_DAYS:
        found.append(
            UploadWarning(
                "old_download",
                _("Berkas Dapodik ini diunduh pada %(date)s, lebih dari %(days)s hari yang lalu. Unduh yang terbaru.")
                % {"date": date_format(downloaded, "j F Y"), "days": DOWNLOAD_WARNING_DAYS},
            )
        )
    return found


def upload_left_students(upload: StudentListUpload) -> QuerySet[Student]:
    """Students proposed as left by a preview (still active ones only)."""
    return Student.objects.filter(pk__in=upload.left_student_ids or [], is_active=True).order_by("class_name", "name")


def pending_nik_conflicts(schools: QuerySet[School] | None = None) -> QuerySet[NikConflict]:
    conflicts = NikConflict.objects.filter(status=NikConflict.Status.PENDING).select_related(
        "school", "existing_student__school", "upload__uploaded_by"
    )
    if schools is not None:
        conflicts = conflicts.filter(Q(school__in=schools) | Q(existing_student__school__in=schools))
    return conflicts.order_by("created_at", "pk")


def pending_left_proposals(schools: QuerySet[School] | None = None) -> QuerySet[LeftProposal]:
    proposals = LeftProposal.objects.filter(status=LeftProposal.Status.PENDING).select_related(
        "student__school", "upload__uploaded_by"
    )
    if schools is not None:
        proposals = proposals.filter(student__school__in=schools)
    return proposals.order_by("student__school__name", "student__class_name", "student__name")


def schools_with_pending_left(schools: QuerySet[School]) -> QuerySet[School]:
    return (
        schools.annotate(
            pending_left=Count("students__left_proposals", filter=Q(students__left_proposals__status="pending"))
        )
        .filter(pending_left__gt=0)
        .order_by("name")
    )


def school_admin_accounts(school: School | None = None):
    """Plain school-admin accounts with their schools and profile, for the account pages.

    Only these may be reset or deactivated by a supervisor: a user who is also staff, a superuser
    or Dukcapil staff is never one, whatever groups it is in (no taking over a stronger account).
    """
    users = (
        get_user_model()
        .objects.filter(groups__name=SCHOOL_ADMIN_GROUP, is_staff=False, is_superuser=False)
        .exclude(groups__name__in=[OPERATOR_GROUP, SUPERVISOR_GROUP])
        .select_related("account_profile")
        .prefetch_related(Prefetch("school_links", queryset=SchoolAdmin.objects.select_related("school")))
        .order_by("-is_active", "username")
        .distinct()
    )
    if school is not None:
        users = users.filter(school_links__school=school)
    return users


def school_students(
    school: School, *, query: str = "", flagged: bool = False, rounded: bool = False
) -> QuerySet[Student]:
    """A school's active students for its list page; optionally only those flagged by an upload, or
    only those whose NIK or No KK may have been rounded by a spreadsheet."""
    students = Student.objects.filter(school=school, is_active=True).order_by("class_name", "name")
    if flagged:
        students = students.exclude(data_warnings=[])
    if rounded:
        students = students.filter(data_warnings__overlap=list(ROUNDED_CODES))
    if query:
        digits = query.replace(" ", "")
        condition = Q(name__icontains=query) | Q(class_name__icontains=query)
        if digits.isdigit() and len(digits) >= 4:
            condition |= Q(nisn__startswith=digits) | Q(nik=digits)
        students = students.filter(condition)
    return students


def known_nik_regions(prefixes: list[str]) -> frozenset[str]:
    """Which of these six-digit prefixes are kecamatan codes (one small query, for one form)."""
    return frozenset(NikRegion.objects.filter(code__in=[p for p in prefixes if p]).values_list("code", flat=True))


# --- one student's page -----------------------------------------------------------------------

STUDENT_HISTORY_LIMIT = 200


@dataclass(frozen=True)
class HistoryEntry:
    """One change of a student, ready to show: when, who, what."""

    at: datetime.datetime
    label: str  # pghistory label: insert / update / delete
    user_name: str  # "" when made by a command (an import from the command line, a migration)
    changes: list
    upload_id: int | None  # the student-list upload that made the change, if any


def student_history(student: Student, *, show_personal: bool, limit: int = STUDENT_HISTORY_LIMIT):
    """The student's history, newest first (at most ``limit`` entries; two queries)."""
    from pghistory.models import Events

    from ektp_drives.history import event_changes, event_user_id, event_user_names

    events = list(Events.objects.tracks(student).order_by("-pgh_created_at", "-pgh_id")[:limit])
    names = event_user_names(events, full_names=True)
    entries = []
    for event in events:
        user_id = event_user_id(event)
        context = event.pgh_context or {}
        upload_id = context.get("student_list_upload")
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                label=event.pgh_label,
                user_name=names.get(user_id, f"#{user_id}") if user_id is not None else "",
                changes=event_changes(
                    event, show_personal=show_personal, model=Student, value_labels={"data_warnings": WARNING_LABELS}
                ),
                upload_id=upload_id if isinstance(upload_id, int) else None,
            )
        )
    return entries


def student_recordings(student: Student):
    """The student's outcome at each visit, newest tap first (one query)."""
    return student.recordings.all().select_related("visit__drive", "recorded_by").order_by("-recorded_at", "-pk")


# --- the personal-data access log ---------------------------------------------------------------


def personal_data_accesses(*, npsn: str = "", user_id: int | None = None, kind: str = ""):
    """The access log, newest first, with its filters (indexed on time, school and user)."""
    entries = PersonalDataAccess.objects.select_related("user", "school").order_by("-at", "-pk")
    if npsn:
        entries = entries.filter(school__npsn=npsn)
    if user_id:
        entries = entries.filter(user_id=user_id)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


def access_log_users():
    """Users for the access log's filter: Dukcapil staff and school admins (not many)."""
    return (
        get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__isnull=False)).distinct().order_by("username")
    )
