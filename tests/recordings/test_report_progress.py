"""The printable one-page report for the Kepala Dinas (issue 5)."""

import datetime
import re

import pytest
from django.urls import reverse

from recordings.models import Recording, Visit
from recordings.views.progress import REPORT_SCHOOL_LIMIT
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

REF = datetime.date(2026, 12, 31)


@pytest.fixture
def season(school, other_school):
    drive = DriveFactory(
        start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=[school, other_school]
    )
    visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
    RecordingFactory(visit=visit, student=StudentFactory(school=school))
    RecordingFactory(visit=visit, student=StudentFactory(school=school), outcome=Recording.Outcome.ABSENT)
    StudentFactory(school=other_school)
    return drive


def test_report_has_headline_chart_and_school_table(client, supervisor, season, school, other_school):
    client.force_login(supervisor)
    response = client.get(reverse("progress_report"))
    assert response.status_code == 200
    html = response.content.decode()
    sentence = " ".join(
        re.sub(r"<[^>]+>", "", html.split('data-testid="headline-sentence">')[1].split("</p>")[0]).split()
    )
    assert sentence.startswith(
        "Dari 3 peserta didik sasaran, 1 sudah terekam (33,33 %); 1 dari 2 sekolah sudah dikunjungi."
    )
    assert other_school.name in sentence
    assert '<svg class="progress-chart"' in html
    assert html.count('data-testid="report-row"') == 2
    assert 'data-action="print"' in html  # print button wired by static JS, no inline handler
    assert "onclick" not in html


def test_report_follows_filters_and_scope(client, season, school, other_school, school_admin):
    client.force_login(school_admin)
    html = client.get(reverse("progress_report")).content.decode()
    assert html.count('data-testid="report-row"') == 1
    assert other_school.name not in html


def test_report_for_many_schools_lists_the_lowest(client, supervisor, season):
    for i in range(REPORT_SCHOOL_LIMIT + 5):
        extra = SchoolFactory(name=f"SMA Tambahan {i:02d}")
        season.drive_schools.create(school=extra)
        StudentFactory(school=extra)
    client.force_login(supervisor)
    response = client.get(reverse("progress_report"))
    assert response.context["rows_cut"] is True
    assert len(response.context["rows"]) == REPORT_SCHOOL_LIMIT
    assert all(row.progress.completion == 0 for row in response.context["rows"])
    assert "sekolah dengan capaian terendah" in response.content.decode()


def test_report_needs_a_drive(client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("progress_report")).status_code == 404


def test_other_drive_of_another_school_is_404(client, season, school_admin):
    foreign = DriveFactory(schools=[SchoolFactory()])
    client.force_login(school_admin)
    assert client.get(reverse("progress_report"), {"drive": foreign.pk}).status_code == 404
