"""Fixtures of the selector tests' drive season (``tests/recordings/season.py``): a drive of one school
from 1 September to 31 December 2026 and a finished visit on 10 September. A test file that needs
another drive defines its own ``drive`` fixture."""

import datetime

import pytest

from recordings.models import Visit
from tests.factories import DriveFactory, VisitFactory
from tests.recordings.season import REF


@pytest.fixture
def drive(school):
    return DriveFactory(start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=[school])


@pytest.fixture
def visit(drive, school):
    return VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
