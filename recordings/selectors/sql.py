"""Small helpers for the hand-written statements of the selectors."""

from __future__ import annotations

import re

from django.conf import settings
from django.db.models import QuerySet

from recordings.models import DriveSchool, DriveSchoolDay, DriveSchoolTally, Recording, Visit
from schools.models import LeftProposal, School, Student


def school_filter(schools, column: str) -> tuple[str, list]:
    """SQL restricting ``column`` to some schools (a queryset, or an iterable of ids), or nothing."""
    if schools is None:
        return "", []
    if isinstance(schools, QuerySet):
        sql, params = schools.order_by().values("pk").query.sql_with_params()
        return f" AND {column} IN ({sql})", list(params)
    return f" AND {column} = ANY(%s)", [[int(pk) for pk in schools]]


def tables() -> dict[str, str]:
    return {
        "recording": Recording._meta.db_table,
        "visit": Visit._meta.db_table,
        "student": Student._meta.db_table,
        "school": School._meta.db_table,
        "drive_school": DriveSchool._meta.db_table,
        "left_proposal": LeftProposal._meta.db_table,
        "tally": DriveSchoolTally._meta.db_table,
        "day": DriveSchoolDay._meta.db_table,
    }


def time_zone_name() -> str:
    """The local time zone's name, checked before it is written into SQL."""
    name = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_/+\-]+", name):
        raise ValueError(f"Unexpected TIME_ZONE {name!r}")
    return name
