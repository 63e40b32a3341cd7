"""The school map's read: every school of a drive with its coordinates, completion and visit state.

One query over the read model (``DriveSchoolTally``, one row per school of the drive) joined to
the school's coordinates and travel figures, with the visit state as four hashed sub-plans (the
same rule as ``SchoolProgressRow.visit_state``), whatever the number of schools.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

from recordings.models import Drive, DriveSchoolTally
from recordings.selectors.progress import VisitState, completion_percent
from recordings.selectors.progress_table import _with_visit_state
from schools.geo import Travel, office_point, travel_from_office

# How a school is drawn: visited schools by their completion; the others by what they still need.
VISITED, NOT_VISITED, POSTPONED = "visited", "not_visited", "postponed"


@dataclass(frozen=True)
class MapSchool:
    school_id: int
    npsn: str
    name: str
    kecamatan_name: str
    latitude: Decimal | None
    longitude: Decimal | None
    distance_km: Decimal | None
    travel_minutes: int | None
    target: int
    done: int
    state: str  # a VisitState value

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @cached_property
    def completion(self) -> Decimal:
        return completion_percent(self.done, self.target)

    @property
    def marker(self) -> str:
        """visited (in progress or done) · postponed (not visited, no new date) · not_visited."""
        if self.state in (VisitState.VISITED, VisitState.IN_PROGRESS):
            return VISITED
        if self.state == VisitState.POSTPONED:
            return POSTPONED
        return NOT_VISITED

    @property
    def state_label(self) -> str:
        return VisitState(self.state).label

    @cached_property
    def travel(self) -> Travel:
        return travel_from_office(self)


@dataclass(frozen=True)
class SchoolMap:
    drive: Drive
    schools: list[MapSchool]  # by name
    office: tuple[float, float]  # latitude, longitude

    @cached_property
    def placed(self) -> list[MapSchool]:
        return [s for s in self.schools if s.has_point]

    @cached_property
    def unplaced(self) -> list[MapSchool]:
        return [s for s in self.schools if not s.has_point]

    def count(self, marker: str) -> int:
        return sum(1 for s in self.schools if s.marker == marker)


def _state(in_progress: bool, visited: bool, planned: bool, postponed: bool) -> str:
    if in_progress:
        return VisitState.IN_PROGRESS
    if visited:
        return VisitState.VISITED
    if planned:
        return VisitState.PLANNED
    if postponed:
        return VisitState.POSTPONED
    return VisitState.NOT_VISITED


def drive_map(drive: Drive, *, schools=None, today: datetime.date | None = None) -> SchoolMap:
    """The drive's schools for the map and its table (one query). ``schools``: ids to limit to."""
    today = today or timezone.localdate()
    rows = DriveSchoolTally.objects.filter(drive_id=drive.pk)
    if schools is not None:
        rows = rows.filter(school_id__in=list(schools))
    rows = _with_visit_state(rows, drive, today).order_by(Lower("school_name"), "npsn", "school_id")
    values = rows.values_list(
        "school_id",
        "npsn",
        "school_name",
        "kecamatan_name",
        "school__latitude",
        "school__longitude",
        "school__distance_km",
        "school__travel_minutes",
        F("candidates") - F("not_eligible"),
        F("recorded") + F("already_recorded"),
        "v_in_progress",
        "v_visited",
        "v_planned",
        "v_postponed",
    )
    found = [
        MapSchool(*row[:10], state=_state(*row[10:]))  # the fields in MapSchool's order, then the visit flags
        for row in values
    ]
    return SchoolMap(drive=drive, schools=found, office=office_point())
