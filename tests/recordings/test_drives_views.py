"""Drives and the planning list: create/edit, school selection, estimate of days, filters, planning visits."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Drive, Recording, Visit
from recordings.selectors import PlanningStatus, drive_planning
from schools.models import Desa, Kecamatan, School
from tests.factories import (
    DriveFactory,
    KitFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def make_students(school, n):
    return [StudentFactory(school=school) for _ in range(n)]


def test_supervisor_creates_drive_picking_schools_by_kecamatan_and_level(client, supervisor):
    kec_a, kec_b = Kecamatan.objects.order_by("code")[:2]
    desa_a = Desa.objects.filter(kecamatan=kec_a).first()
    desa_b = Desa.objects.filter(kecamatan=kec_b).first()
    in_a = SchoolFactory(desa=desa_a)
    smk_b = SchoolFactory(desa=desa_b, level=School.Level.SMK)
    sma_b = SchoolFactory(desa=desa_b, level=School.Level.SMA)
    picked = SchoolFactory(desa=desa_b, level=School.Level.MA)
    client.force_login(supervisor)
    today = timezone.localdate()
    response = client.post(
        reverse("drive_create"),
        {
            "name": "Perekaman 2027",
            "start_date": today.isoformat(),
            "end_date": (today + datetime.timedelta(days=90)).isoformat(),
            "reference_date": (today + datetime.timedelta(days=90)).isoformat(),
            "students_per_kit_per_day": 60,
            "add_kecamatan": [kec_a.pk],
            "add_levels": [School.Level.SMK],
            "schools": [picked.pk],
        },
    )
    drive = Drive.objects.get(name="Perekaman 2027")
    assert response.status_code == 302 and response.url == reverse("drive_detail", args=[drive.pk])
    schools = set(drive.schools.all())
    assert {in_a, smk_b, picked} <= schools and sma_b not in schools


def test_drive_all_schools_and_edit(client, supervisor):
    SchoolFactory.create_batch(3)
    client.force_login(supervisor)
    today = timezone.localdate()
    data = {
        "name": "Semua",
        "start_date": today.isoformat(),
        "end_date": today.isoformat(),
        "reference_date": today.isoformat(),
        "students_per_kit_per_day": 50,
        "all_schools": "on",
    }
    client.post(reverse("drive_create"), data)
    drive = Drive.objects.get(name="Semua")
    assert drive.schools.count() == School.objects.count()
    edit = client.get(reverse("drive_edit", args=[drive.pk]))
    assert edit.status_code == 200
    keep = School.objects.first()
    response = client.post(reverse("drive_edit", args=[drive.pk]), {**data, "all_schools": "", "schools": [keep.pk]})
    assert response.status_code == 302
    assert list(drive.schools.all()) == [keep]


def test_drive_form_errors_in_indonesian(client, supervisor):
    client.force_login(supervisor)
    today = timezone.localdate()
    response = client.post(
        reverse("drive_create"),
        {
            "name": "X",
            "start_date": today.isoformat(),
            "end_date": (today - datetime.timedelta(days=1)).isoformat(),
            "reference_date": today.isoformat(),
            "students_per_kit_per_day": 60,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tanggal selesai tidak boleh sebelum tanggal mulai." in html
    assert "Pilih minimal satu sekolah peserta." in html
    assert not Drive.objects.exists()


def test_planning_lists_unvisited_first_with_estimate(client, supervisor):
    visited, unvisited_small, unvisited_big = SchoolFactory(), SchoolFactory(), SchoolFactory()
    drive = DriveFactory(schools=[visited, unvisited_small, unvisited_big], students_per_kit_per_day=60)
    students = make_students(visited, 5)
    make_students(unvisited_small, 61)
    make_students(unvisited_big, 130)
    done_visit = VisitFactory(
        drive=drive, school=visited, status=Visit.Status.DONE, date=timezone.localdate() - datetime.timedelta(days=5)
    )
    for s in students[:3]:
        RecordingFactory(visit=done_visit, student=s, outcome=Recording.Outcome.RECORDED)
    RecordingFactory(visit=done_visit, student=students[3], outcome=Recording.Outcome.ABSENT)
    next_visit = VisitFactory(
        drive=drive,
        school=unvisited_big,
        status=Visit.Status.PLANNED,
        kits=2,
        date=timezone.localdate() + datetime.timedelta(days=3),
    )

    rows = drive_planning(drive, default_kits=1)
    assert [r.school for r in rows] == [unvisited_small, unvisited_big, visited]
    small, big, seen = rows
    assert (small.progress.target, small.progress.remaining, small.days_needed, small.kits_assumed) == (61, 61, 2, True)
    assert (big.next_visit, big.kits, big.days_needed) == (next_visit, 2, 2)  # 130 ÷ (2 × 60) → 2 days
    assert (seen.progress.remaining, seen.last_visit_date, seen.days_needed) == (2, done_visit.date, 1)
    assert drive_planning(drive, default_kits=2)[0].days_needed == 1  # 61 ÷ 120

    client.force_login(supervisor)
    page = client.get(reverse("drive_detail", args=[drive.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    table = html[html.index("<tbody>") :]  # the planning table (suggestions and warnings come before it)
    assert table.index(unvisited_small.name) < table.index(unvisited_big.name) < table.index(visited.name)
    assert "perkiraan 5 hari kunjungan lagi" in html  # 2 + 2 + 1
    assert reverse("visit_plan", args=[drive.pk]) + f"?school={unvisited_small.pk}" in html


def test_planning_filters_by_kecamatan_and_status(client, operator):
    kec_a, kec_b = Kecamatan.objects.order_by("code")[:2]
    a = SchoolFactory(desa=Desa.objects.filter(kecamatan=kec_a).first())
    b = SchoolFactory(desa=Desa.objects.filter(kecamatan=kec_b).first())
    drive = DriveFactory(schools=[a, b])
    make_students(a, 2)
    make_students(b, 2)
    VisitFactory(drive=drive, school=b, status=Visit.Status.DONE)
    assert [r.school for r in drive_planning(drive, kecamatan_id=kec_a.pk)] == [a]
    assert [r.school for r in drive_planning(drive, status=PlanningStatus.NOT_VISITED)] == [a]
    assert [r.school for r in drive_planning(drive, status=PlanningStatus.REMAINING)] == [b]
    client.force_login(operator)
    response = client.get(reverse("drive_detail", args=[drive.pk]), {"kecamatan": kec_b.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="planning"') and b.name in html and a.name not in html
    assert "Jadwalkan" not in html  # operators do not plan


def test_postponed_school_needs_a_new_date(supervisor):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    make_students(school, 3)
    VisitFactory(
        drive=drive,
        school=school,
        status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.POWER_CUT,
        date=timezone.localdate() + datetime.timedelta(days=1),
    )
    (row,) = drive_planning(drive)
    assert row.postponed and row.needs_date and not row.visited
    assert PlanningStatus.NEEDS_DATE in row.statuses


def test_supervisor_plans_a_visit_from_the_planning_list(client, supervisor, operator):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    kits = KitFactory.create_batch(3)
    client.force_login(supervisor)
    form = client.get(reverse("visit_plan", args=[drive.pk]), {"school": school.pk})
    assert form.status_code == 200 and operator.first_name in form.content.decode()
    day = timezone.localdate() + datetime.timedelta(days=4)
    response = client.post(
        reverse("visit_plan", args=[drive.pk]),
        {
            "school": school.pk,
            "date": day.isoformat(),
            "kits": [k.pk for k in kits],
            "team": [operator.pk],
            "notes": "Bawa genset",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.school, visit.date, visit.kit_count, visit.notes, visit.created_by) == (
        school,
        day,
        3,
        "Bawa genset",
        supervisor,
    )
    assert list(visit.team.all()) == [operator]
    (row,) = drive_planning(drive)
    assert row.next_visit == visit and PlanningStatus.SCHEDULED in row.statuses


def test_postpone_and_reschedule_views(client, supervisor):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    visit = VisitFactory(
        drive=drive, school=school, status=Visit.Status.PLANNED, date=timezone.localdate() + datetime.timedelta(days=2)
    )
    client.force_login(supervisor)
    new_day = visit.date + datetime.timedelta(days=1)
    response = client.post(
        reverse("visit_reschedule", args=[visit.pk]),
        {"date": new_day.isoformat(), "start_time": "09:30", "kits": [k.pk for k in KitFactory.create_batch(2)]},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.date == new_day and visit.kit_count == 2 and visit.start_time == datetime.time(9, 30)
    response = client.post(reverse("visit_postpone", args=[visit.pk]), {"reason": "other", "note": ""})
    assert "Tuliskan keterangan" in response.content.decode()
    response = client.post(
        reverse("visit_postpone", args=[visit.pk]), {"reason": "school_event", "note": "Ujian semester"}
    )
    assert response.status_code == 302 and response.url == reverse("drive_detail", args=[drive.pk])
    visit.refresh_from_db()
    assert visit.status == Visit.Status.POSTPONED and visit.postponement_note == "Ujian semester"
    page = client.get(reverse("drive_detail", args=[drive.pk])).content.decode()
    assert "Ditunda — perlu tanggal baru" in page


def test_planning_page_queries_do_not_grow_with_schools(client, supervisor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    client.force_login(supervisor)
    for n in (2, 12):
        schools = SchoolFactory.create_batch(n)
        drive = DriveFactory(schools=schools)
        for school in schools:
            StudentFactory(school=school)
            VisitFactory(
                drive=drive,
                school=school,
                status=Visit.Status.PLANNED,
                date=timezone.localdate() + datetime.timedelta(days=1),
            )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("drive_detail", args=[drive.pk])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
