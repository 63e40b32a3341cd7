"""Reads for exports: the students still to record, streamed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from recordings.models import Drive, Recording
from recordings.selectors.sql import school_filter, tables
from schools.models import LeftProposal, Student, eligibility_cutoff

# Why a student is still to record, in the order a follow-up list reads best.
FOLLOW_UP_REASONS = {
    None: gettext_lazy("Belum didata"),
    Recording.Outcome.ABSENT: Recording.Outcome.ABSENT.label,
    Recording.Outcome.BIOMETRIC_FAILURE: Recording.Outcome.BIOMETRIC_FAILURE.label,
    Recording.Outcome.MISSING_DOCUMENTS: Recording.Outcome.MISSING_DOCUMENTS.label,
    Recording.Outcome.REFUSED: Recording.Outcome.REFUSED.label,
}


def students_to_record(drive: Drive, *, schools=None) -> QuerySet[Student]:
    """The drive's target students not done yet, with their latest outcome and when (one query).

    ``latest_outcome`` is None for students not served yet; ``latest_at`` is the tap time.
    """
    latest = Recording.objects.filter(student=OuterRef("pk"), visit__drive=drive).order_by("-recorded_at", "-pk")
    pending = LeftProposal.objects.filter(student=OuterRef("pk"), status=LeftProposal.Status.PENDING)
    students = Student.objects.filter(
        is_active=True,
        school__drive_links__drive=drive,
        birth_date__lte=eligibility_cutoff(drive.reference_date),
    ).exclude(Exists(pending))
    if schools is not None:
        students = (
            students.filter(school__in=schools)
            if isinstance(schools, QuerySet)
            else students.filter(school_id__in=list(schools))
        )
    return (
        students.annotate(
            latest_outcome=Subquery(latest.values("outcome")[:1]),
            latest_at=Subquery(latest.values("recorded_at")[:1]),
        )
        .filter(
            Q(latest_outcome__isnull=True)
            | ~Q(latest_outcome__in=[*Recording.DONE_OUTCOMES, Recording.Outcome.NOT_ELIGIBLE])
        )
        .select_related("school")
        .order_by("school__name", "class_name", "name", "pk")
    )


@dataclass(frozen=True)
class StudentToRecord:
    """One line of a follow-up list export (plain values, no model instance)."""

    npsn: str
    school_name: str
    class_name: str
    name: str
    gender: str
    birth_date: datetime.date
    nisn: str
    nik: str
    kk: str
    latest_outcome: str | None
    latest_at: datetime.datetime | None


def students_to_record_rows(drive: Drive, *, schools=None, chunk: int = 2000):
    """Yield the same students as ``students_to_record`` for exports, in one streamed statement.

    The latest outcome is taken once per student (DISTINCT ON) instead of per row: a whole drive
    at national scale streams in seconds; rows come from a server-side cursor, ``chunk`` at a time.
    """
    t = tables()
    recording_filter, recording_params = school_filter(schools, "rs.school_id")
    student_filter, student_params = school_filter(schools, "s.school_id")
    recording_join = f"JOIN {t['student']} rs ON rs.id = r.student_id" if schools is not None else ""
    sql = f"""
        WITH latest AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome, r.recorded_at
            FROM {t["recording"]} r
            JOIN {t["visit"]} v ON v.id = r.visit_id
            {recording_join}
            WHERE v.drive_id = %s{recording_filter}
            ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
        )
        SELECT sc.npsn, sc.name, s.class_name, s.name, s.gender, s.birth_date, s.nisn, s.nik, s.kk,
            l.outcome, l.recorded_at
        FROM {t["student"]} s
        JOIN {t["drive_school"]} ds ON ds.school_id = s.school_id AND ds.drive_id = %s
        JOIN {t["school"]} sc ON sc.id = s.school_id
        LEFT JOIN latest l ON l.student_id = s.id
        WHERE s.is_active AND s.birth_date <= %s{student_filter}
            AND NOT EXISTS (SELECT 1 FROM {t["left_proposal"]} lp WHERE lp.student_id = s.id AND lp.status = 'pending')
            AND (l.outcome IS NULL OR l.outcome NOT IN (%s, %s, %s))
        ORDER BY sc.name, s.class_name, s.name, s.id
    """  # noqa: S608 - only table names and fixed SQL fragments are formatted in; values are parameters
    params = [
        drive.pk,
        *recording_params,
        drive.pk,
        eligibility_cutoff(drive.reference_date),
        *student_params,
        *Recording.DONE_OUTCOMES,
        Recording.Outcome.NOT_ELIGIBLE,
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from (StudentToRecord(*row) for row in rows)
