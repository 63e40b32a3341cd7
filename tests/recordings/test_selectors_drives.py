"""Which drive is current (recordings.selectors.drives)."""

import datetime

import pytest

from recordings.selectors.drives import drive_current, drive_current_among
from tests.factories import DriveFactory

pytestmark = pytest.mark.django_db


def test_drive_current_among_follows_drive_current():
    today = datetime.date(2026, 11, 29)
    drives = []
    for start, end in [((2025, 8, 1), (2025, 12, 1)), ((2027, 1, 5), (2027, 3, 1)), ((2026, 9, 1), (2026, 12, 31))]:
        drives.append(DriveFactory(start_date=datetime.date(*start), end_date=datetime.date(*end)))
        assert drive_current_among(drives, today=today) == drive_current(today=today)
    assert drive_current_among([], today=today) is None
    assert drive_current_among(drives[1:2], today=today) == drives[1]  # only a future drive: the next one
