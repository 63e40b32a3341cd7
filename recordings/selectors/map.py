"""The school map's read: every school of a drive with its coordinates, completion and visit state.

One statement over the read model (``DriveSchoolTally``, one row per school of the drive) joined to
the school's coordinates and travel figures and to the drive's visits grouped per school (the same
rule as ``SchoolProgressRow.visit_state``), whatever the number of schools.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.utils import timezone

from recordings.models import Drive, Visit
from recordings.selectors.progress import VisitState
from recordings.selectors.sql import school_filter, tables
from schools.geo import Travel, office_point, travel_from_office

# How a school is drawn: visited schools by their completion; the others by what they still need.
VISITED, NOT_VISITED, POSTPONED = "visited", "not_visited", "postponed"


@dataclass(frozen=True, slots=True)
class MapSchool:
    """One school on the map. Plain fields, worked out once by the selector (the map and its
    table read each several times for thousands of schools)."""

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
    marker: str = ""  # VISITED (in progress or done) · POSTPONED (not visited, no new date) · NOT_VISITED
    # Completion in hundredths of a percent, rounded half up as ``completion_percent`` does.
    completion_hundredths: int = 0

    @classmethod
    def of(cls, *fields, state: str) -> MapSchool:
        target, done = fields[8], fields[9]
        hundredths = (done * 20000 + target) // (2 * target) if target > 0 else 0
        return cls(*fields, state=state, marker=MARKERS[state], completion_hundredths=hundredths)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def completion(self) -> Decimal:
        return Decimal(self.completion_hundredths).scaleb(-2)

    @property
    def state_label(self) -> str:
        return VisitState(self.state).label

    @property
    def travel(self) -> Travel:
        return travel_from_office(self)


MARKERS = {
    VisitState.IN_PROGRESS.value: VISITED,
    VisitState.VISITED.value: VISITED,
    VisitState.PLANNED.value: NOT_VISITED,
    VisitState.POSTPONED.value: POSTPONED,
    VisitState.NOT_VISITED.value: NOT_VISITED,
}


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
        return VisitState.IN_PROGRESS.value
    if visited:
        return VisitState.VISITED.value
    if planned:
        return VisitState.PLANNED.value
    if postponed:
        return VisitState.POSTPONED.value
    return VisitState.NOT_VISITED.value


# The state of every combination of (in progress, visited, planned, postponed), worked out once.
_STATES = {
    (a, b, c, d): _state(a, b, c, d)
    for a in (False, True)
    for b in (False, True)
    for c in (False, True)
    for d in (False, True)
}


def drive_map(drive: Drive, *, schools=None, today: datetime.date | None = None) -> SchoolMap:
    """The drive's schools for the map and its table (one statement). ``schools``: ids to limit to.

    The visit state comes from the drive's visits grouped once per school (a join), not from
    EXISTS sub-plans per row: at 10,000 schools those made the planner's cost estimate high enough
    to compile the statement (JIT, +170 ms) for a 40 ms read.
    """
    today = today or timezone.localdate()
    t = tables()
    school_sql, school_params = school_filter(schools, "d.school_id")
    sql = f"""
        SELECT d.school_id, d.npsn, d.school_name, d.kecamatan_name, s.latitude, s.longitude, s.distance_km,
            s.travel_minutes, d.candidates - d.not_eligible, d.recorded + d.already_recorded,
            COALESCE(v.in_progress, false), COALESCE(v.visited, false), COALESCE(v.planned, false),
            COALESCE(v.postponed, false)
        FROM {t["tally"]} d
        JOIN {t["school"]} s ON s.id = d.school_id
        LEFT JOIN (
            SELECT school_id,
                bool_or(status = %s) AS in_progress,
                bool_or(status = ANY(%s)) AS visited,
                bool_or(status = %s AND date >= %s) AS planned,
                bool_or(status = %s) AS postponed
            FROM {t["visit"]} WHERE drive_id = %s GROUP BY school_id
        ) v ON v.school_id = d.school_id
        WHERE d.drive_id = %s{school_sql}
        ORDER BY lower(d.school_name), d.npsn, d.school_id
    """  # noqa: S608 - table names and a fixed filter are formatted in; values are parameters
    status = Visit.Status
    params = [
        status.IN_PROGRESS,
        list(Visit.VISITED_STATUSES),
        status.PLANNED,
        today,
        status.POSTPONED,
        drive.pk,
        drive.pk,
        *school_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [MapSchool.of(*row[:10], state=_STATES[row[10:]]) for row in cursor.fetchall()]
    return SchoolMap(drive=drive, schools=found, office=office_point())
