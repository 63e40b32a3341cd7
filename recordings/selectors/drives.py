"""Reads about drives: which one is current, which students it counts, who can join a visit."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from recordings.models import Drive, Recording
from schools.models import LeftProposal, Student, eligibility_cutoff
from schools.roles import OPERATOR_GROUP, SUPERVISOR_GROUP


def drive_current(*, today: datetime.date | None = None) -> Drive | None:
    """Return the drive running today, else the latest one that has started, else the next one."""
    today = today or timezone.localdate()
    running = Drive.objects.filter(start_date__lte=today, end_date__gte=today).order_by("-start_date").first()
    if running:
        return running
    started = Drive.objects.filter(start_date__lte=today).order_by("-end_date").first()
    return started or Drive.objects.order_by("start_date").first()


def drive_reference_date(today: datetime.date) -> datetime.date | None:
    """The current drive's reference date for ages (what a student-list upload judges ages by)."""
    drive = drive_current(today=today)
    return drive.reference_date if drive else None


def latest_outcome(drive: Drive, student_ref=None) -> Subquery:
    """Subquery: the outcome with the latest tap time for a student across the drive's visits."""
    student_ref = student_ref if student_ref is not None else OuterRef("pk")
    return Subquery(
        Recording.objects.filter(student=student_ref, visit__drive=drive)
        .order_by("-recorded_at", "-pk")
        .values("outcome")[:1]
    )


def drive_candidates(drive: Drive) -> QuerySet[Student]:
    """Active students of the drive's schools aged 16+ on the reference date, not proposed as left,
    with their latest outcome (the target plus those marked not eligible)."""
    pending = LeftProposal.objects.filter(student=OuterRef("pk"), status=LeftProposal.Status.PENDING)
    return (
        Student.objects.filter(
            is_active=True,
            school__drive_links__drive=drive,
            birth_date__lte=eligibility_cutoff(drive.reference_date),
        )
        .exclude(Exists(pending))
        .annotate(latest_outcome=latest_outcome(drive))
    )


def drive_target(drive: Drive) -> QuerySet[Student]:
    """The drive's target list: candidates minus those whose latest outcome is not eligible."""
    return drive_candidates(drive).filter(
        Q(latest_outcome__isnull=True) | ~Q(latest_outcome=Recording.Outcome.NOT_ELIGIBLE)
    )


# Operators may still sync taps for a few days after a drive's last day.
ACTIVE_DRIVE_GRACE_DAYS = 7


def team_candidates():
    """Dukcapil operators and supervisors who can be put on a visit's team."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[OPERATOR_GROUP, SUPERVISOR_GROUP])
        .distinct()
        .order_by("first_name", "username")
    )


def drive_is_active(drive: Drive, *, today: datetime.date | None = None) -> bool:
    """A drive takes outcomes from its first day until a few days after its last."""
    today = today or timezone.localdate()
    return drive.start_date <= today <= drive.end_date + datetime.timedelta(days=ACTIVE_DRIVE_GRACE_DAYS)


def drive_current_among(drives, *, today: datetime.date | None = None) -> Drive | None:
    """``drive_current``'s rule applied to drives already loaded (no query): running, else latest started, else next."""
    today = today or timezone.localdate()
    running = [d for d in drives if d.start_date <= today <= d.end_date]
    if running:
        return max(running, key=lambda d: d.start_date)
    started = [d for d in drives if d.start_date <= today]
    if started:
        return max(started, key=lambda d: d.end_date)
    return min(drives, key=lambda d: d.start_date, default=None)
