"""The SQL progress table filters, sorts and sums exactly as the Python rows of the same drive."""

import datetime
import random
from decimal import Decimal

import pytest

from recordings.models import Recording, Visit
from recordings.selectors.progress import Progress, drive_school_rows, progress_by_kecamatan, progress_summary
from recordings.selectors.progress_table import (
    drive_sums,
    school_table,
    sorted_table,
    table_kecamatan,
    table_page_rows,
    table_summary,
    table_sums,
)
from recordings.views.progress_forms import SORTS, filter_rows, sort_rows
from schools.models import Desa
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 10, 1)


@pytest.fixture
def drive():
    rng = random.Random(5)
    schools = [SchoolFactory() for _ in range(9)]
    desas = list(Desa.objects.all()[:3]) or [s.desa for s in schools[:3]]
    for i, school in enumerate(schools):
        school.desa = desas[i % len(desas)]
        school.level = ["SMA", "SMK", "MA"][i % 3]
        school.save()
    drive = DriveFactory(
        start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 12, 1), reference_date=TODAY, schools=schools
    )
    for school in schools[:7]:
        status = rng.choice([Visit.Status.DONE, Visit.Status.IN_PROGRESS, Visit.Status.POSTPONED, Visit.Status.PLANNED])
        visit = VisitFactory(
            drive=drive,
            school=school,
            date=TODAY + datetime.timedelta(days=rng.randint(-20, 20)),
            status=status,
            postponement_reason="power_cut" if status == Visit.Status.POSTPONED else "",
        )
        for _ in range(rng.randint(0, 6)):
            student = StudentFactory(school=school)
            outcome = rng.choice([*Recording.Outcome.values, None])
            if outcome:
                RecordingFactory(visit=visit, student=student, outcome=outcome)
    return drive


def keys(rows):
    return [r.school_id for r in rows]


@pytest.mark.parametrize("key", list(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_matches_the_python_rule(drive, key, descending):
    rows = list(drive_school_rows(drive, today=TODAY).values())
    python = sort_rows(sorted(rows, key=lambda r: r.school_id), key, descending)
    sql = table_page_rows(
        sorted_table(school_table(drive, today=TODAY), drive, key, descending, today=TODAY), drive, today=TODAY
    )
    # Equal sort keys may come in either order; the keys themselves must follow the same order.
    assert [SORTS[key][1](r) for r in sql] == [SORTS[key][1](r) for r in python]


@pytest.mark.parametrize(
    "values",
    [
        {"level": "SMK"},
        {"visit": "not_visited_any"},
        {"visit": "in_progress"},
        {"visit": "visited"},
        {"visit": "planned"},
        {"visit": "postponed"},
        {"visit": "not_visited"},
        {"below": Decimal("50")},
        {"q": "contoh"},
    ],
)
def test_filters_match_the_python_rule(drive, values):
    rows = list(drive_school_rows(drive, today=TODAY).values())
    assert set(keys(filter_rows(rows, values))) == set(
        school_table(drive, today=TODAY, values=values).values_list("school_id", flat=True)
    )


def test_totals_and_kecamatan_match_the_python_sums(drive):
    rows = list(drive_school_rows(drive, today=TODAY).values())
    python, sql = progress_summary(rows), table_summary(school_table(drive, today=TODAY), drive, today=TODAY)
    assert sql.progress == python.progress
    assert (sql.schools_total, sql.schools_visited, sql.schools_in_progress, sql.schools_not_visited_count) == (
        python.schools_total,
        python.schools_visited,
        python.schools_in_progress,
        python.schools_not_visited_count,
    )
    assert sql.postponed_by_reason == python.postponed_by_reason
    by_python = {k.kecamatan_id: (k.schools, k.schools_visited, k.progress) for k in progress_by_kecamatan(rows)}
    by_sql = {
        k.kecamatan_id: (k.schools, k.schools_visited, k.progress)
        for k in table_kecamatan(school_table(drive, today=TODAY), drive, today=TODAY)
    }
    assert by_sql == by_python
    assert isinstance(sql.progress, Progress)


def test_the_kecamatan_tally_sums_as_the_school_rows_and_the_python_rule(drive):
    """``drive_sums`` (the kecamatan tally) = ``table_sums`` (the school rows in SQL) = the Python sums."""
    from_tally = drive_sums(drive, today=TODAY)
    assert from_tally == table_sums(school_table(drive, today=TODAY), drive, today=TODAY)
    rows = list(drive_school_rows(drive, today=TODAY).values())
    python = progress_summary(rows)
    assert from_tally.progress == python.progress
    assert (from_tally.schools, from_tally.schools_visited, from_tally.schools_in_progress) == (
        python.schools_total,
        python.schools_visited,
        python.schools_in_progress,
    )
    assert [(k.kecamatan_id, k.schools, k.schools_visited, k.progress) for k in from_tally.kecamatan] == [
        (k.kecamatan_id, k.schools, k.schools_visited, k.progress)
        for k in sorted(progress_by_kecamatan(rows), key=lambda k: (k.name, k.kecamatan_id))
    ]
    assert from_tally.kecamatan_choices == [(k.kecamatan_id, k.name) for k in from_tally.kecamatan]
    # A filtered table sums only its schools.
    smk = table_sums(school_table(drive, today=TODAY, values={"level": "SMK"}), drive, today=TODAY)
    assert smk.progress == progress_summary([r for r in rows if r.level == "SMK"]).progress
