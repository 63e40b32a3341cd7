"""Writes about drives: creating one and changing its dates, capacity and schools."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from recordings.models import (
    Drive,
    DriveSchool,
)
from schools.models import School


def _check_drive_dates(*, start_date, end_date) -> None:
    if end_date < start_date:
        raise ValidationError(_("Tanggal selesai tidak boleh sebelum tanggal mulai."), code="dates")


@transaction.atomic
def drive_create(
    *,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    reference_date: datetime.date,
    students_per_kit_per_day: int = 60,
    schools: Iterable[School],
    by,
) -> Drive:
    """Create a drive with its participating schools."""
    _check_drive_dates(start_date=start_date, end_date=end_date)
    drive = Drive.objects.create(
        name=name.strip(),
        start_date=start_date,
        end_date=end_date,
        reference_date=reference_date,
        students_per_kit_per_day=students_per_kit_per_day,
    )
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school=school) for school in schools])
    return drive


@transaction.atomic
def drive_update(
    *,
    drive: Drive,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    reference_date: datetime.date,
    students_per_kit_per_day: int,
    schools: Iterable[School],
    by,
) -> Drive:
    """Change a drive. A school that already has visits in the drive cannot be taken out."""
    _check_drive_dates(start_date=start_date, end_date=end_date)
    drive = Drive.objects.select_for_update().order_by().get(pk=drive.pk)
    wanted = {school.pk for school in schools}
    current = set(drive.drive_schools.values_list("school_id", flat=True))
    leaving = current - wanted
    if leaving:
        with_visits = School.objects.filter(pk__in=leaving, visits__drive=drive).distinct().order_by("name")
        names = [school.name for school in with_visits]
        if names:
            raise ValidationError(
                _("Sekolah ini sudah punya kunjungan dalam kegiatan ini dan tidak bisa dikeluarkan: %(names)s.")
                % {"names": ", ".join(names)},
                code="school_has_visits",
            )
        DriveSchool.objects.filter(drive=drive, school_id__in=leaving).delete()
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school_id=pk) for pk in wanted - current])
    drive.name = name.strip()
    drive.start_date = start_date
    drive.end_date = end_date
    drive.reference_date = reference_date
    drive.students_per_kit_per_day = students_per_kit_per_day
    drive.save()
    return drive
