"""One drive season (1 September – 31 December 2026, ages counted on 31 December) for the selector tests; its
`drive` and `visit` fixtures are in this folder's conftest."""

import datetime
from zoneinfo import ZoneInfo

from recordings.models import Recording
from tests.factories import RecordingFactory

WIB = ZoneInfo("Asia/Jakarta")
REF = datetime.date(2026, 12, 31)
OUTCOME = Recording.Outcome


def at(day: int, hour: int = 9, month: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=WIB)


def record(visit, student, outcome=OUTCOME.RECORDED, when=None):
    return RecordingFactory(visit=visit, student=student, outcome=outcome, recorded_at=when or at(visit.date.day))
