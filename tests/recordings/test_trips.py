"""Trip suggestions (grouped by kecamatan, nearest first; "Belum dikunjungi" across kecamatan) and
planning a trip in one step: prefilled rows, all visits or none, double bookings refused."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.demo import UNVISITED_NPSN
from recordings.models import Kit, Recording, Visit
from recordings.selectors.planning import drive_planning, trip_suggestions
from recordings.services import visit_schedule
from schools.models import Desa, Kecamatan, School
from tests.factories import (
    DriveFactory,
    KitFactory,
    OperatorFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def school_in(kecamatan, name, km, students=0):
    school = SchoolFactory(name=name, desa=Desa.objects.filter(kecamatan=kecamatan).first(), distance_km=km)
    for _ in range(students):
        StudentFactory(school=school)
    return school


@pytest.fixture
def season():
    kec_a, kec_b = Kecamatan.objects.order_by("code")[:2]
    schools = {
        "a5": school_in(kec_a, "SMA A5", 5, students=2),
        "a10": school_in(kec_a, "SMA A10", 10, students=2),
        "b3": school_in(kec_b, "SMA B3", 3, students=2),
        "b30": school_in(kec_b, "SMA B30", 30, students=2),
        "b20_rest": school_in(kec_b, "SMA B20 sisa", 20, students=3),
        "a1_done": school_in(kec_a, "SMA A1 selesai", 1, students=1),
        "a2_planned": school_in(kec_a, "SMA A2 terjadwal", 2, students=2),
    }
    drive = DriveFactory(schools=list(schools.values()), end_date=timezone.localdate() + 60 * DAY)
    past = timezone.localdate() - 3 * DAY
    rest = VisitFactory(drive=drive, school=schools["b20_rest"], date=past, status=Visit.Status.DONE)
    RecordingFactory(visit=rest, student=schools["b20_rest"].students.first())
    done = VisitFactory(drive=drive, school=schools["a1_done"], date=past, status=Visit.Status.DONE)
    RecordingFactory(visit=done, student=schools["a1_done"].students.first(), outcome=Recording.Outcome.RECORDED)
    VisitFactory(drive=drive, school=schools["a2_planned"], date=timezone.localdate() + 2 * DAY, status="planned")
    return drive, schools, (kec_a, kec_b)


def names(suggestion):
    return [row.school.name for row in suggestion.rows]


def test_suggestions_group_by_kecamatan_nearest_first(season):
    drive, _schools, (kec_a, kec_b) = season
    suggestions = trip_suggestions(drive_planning(drive))
    assert [s.key for s in suggestions] == ["unvisited", f"kec-{kec_b.pk}", f"kec-{kec_a.pk}"]  # B's nearest is 3 km
    unvisited, group_b, group_a = suggestions
    assert unvisited.title == "Belum dikunjungi"
    assert names(unvisited) == ["SMA B3", "SMA A5", "SMA A10", "SMA B30"]  # across kecamatan, by distance
    assert names(group_b) == ["SMA B3", "SMA B20 sisa", "SMA B30"]  # visited with students remaining: kept
    assert names(group_a) == ["SMA A5", "SMA A10"]  # complete and already scheduled schools: left out
    assert group_a.title == f"Kecamatan {kec_a.name}"


def formset_data(response, changes=None):
    """The POST body of a trip form as it was prefilled (``changes``: {(row, field): value})."""
    formset = response.context["formset"]
    data = {formset.management_form.add_prefix(n): formset.management_form[n].value() for n in ("TOTAL_FORMS",
            "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")}  # fmt: skip
    for index, form in enumerate(formset.forms):
        for name in ("school", "date", "start_time", "kits", "team"):
            value = (changes or {}).get((index, name), form.initial.get(name))
            if isinstance(value, datetime.date):
                value = value.isoformat()
            if isinstance(value, datetime.time):
                value = value.strftime("%H:%M")
            data[form.add_prefix(name)] = value
    data["alat"] = "1"
    return data


def test_trip_form_prefills_consecutive_days_and_the_days_a_school_needs(client, supervisor):
    near, far = SchoolFactory(name="SMA Dekat", distance_km=4), SchoolFactory(name="SMA Jauh", distance_km=40)
    for _ in range(70):
        StudentFactory(school=near)  # 70 > 60 per kit per day: two days with one kit
    StudentFactory(school=far)
    drive = DriveFactory(schools=[near, far], end_date=timezone.localdate() + 60 * DAY)
    kits = KitFactory.create_batch(2)
    KitFactory(status=Kit.Status.BROKEN)
    client.force_login(supervisor)
    response = client.get(reverse("drive_trip", args=[drive.pk]), {"sekolah": [far.pk, near.pk], "alat": 1})
    assert response.status_code == 200
    initial = [form.initial for form in response.context["formset"].forms]
    assert [row["school"] for row in initial] == [near.pk, near.pk, far.pk]  # nearest first, 2 days for SMA Dekat
    days = [row["date"] for row in initial]
    assert days[0] > timezone.localdate() and all(d.weekday() < 5 for d in days)
    assert days == sorted(set(days))  # consecutive working days, one visit a day
    assert all(row["kits"] == [kits[0].pk] for row in initial)  # the first free ready kit each day
    assert all(row["start_time"] == datetime.time(8, 0) for row in initial)


def test_trip_is_all_or_nothing_and_names_the_double_booking(client, supervisor, season):
    drive, schools, _kec = season
    busy = OperatorFactory(first_name="Sari", last_name="Busy")
    client.force_login(supervisor)
    wanted = [schools["b3"].pk, schools["a5"].pk]
    response = client.get(reverse("drive_trip", args=[drive.pk]), {"sekolah": wanted})
    rows = response.context["formset"].forms
    assert len(rows) == 2
    second_day = rows[1].initial["date"]
    other = visit_schedule(
        drive=drive, school=schools["b30"], date=second_day, kits=[KitFactory(name="Alat Lain")], team=[busy],
        by=supervisor,
    )  # fmt: skip
    refused = client.post(
        reverse("drive_trip", args=[drive.pk]) + "?" + "&".join(f"sekolah={pk}" for pk in wanted),
        formset_data(response, {(1, "team"): [busy.pk]}),
    )
    assert refused.status_code == 422
    assert "Petugas ‘Sari Busy’ sudah bertugas di kunjungan ke SMA B30" in refused.content.decode()
    assert not Visit.objects.filter(school__in=[schools["b3"], schools["a5"]]).exists()  # neither row saved
    # The same kit twice on one day within the trip is refused too.
    same_day = formset_data(response, {(1, "date"): rows[0].initial["date"]})
    refused = client.post(reverse("drive_trip", args=[drive.pk]), same_day)
    assert refused.status_code == 422 and "sudah dipakai kunjungan ke SMA B3" in refused.content.decode()
    assert not Visit.objects.filter(school__in=[schools["b3"], schools["a5"]]).exists()
    created = client.post(reverse("drive_trip", args=[drive.pk]), formset_data(response))
    assert created.status_code == 302 and created.url == reverse("drive_detail", args=[drive.pk])
    visits = Visit.objects.filter(school__in=[schools["b3"], schools["a5"]]).order_by("date")
    assert [(v.school, v.status, v.kit_count) for v in visits] == [
        (schools["b3"], Visit.Status.PLANNED, 1),
        (schools["a5"], Visit.Status.PLANNED, 1),
    ]
    assert other.status == Visit.Status.PLANNED


def test_trip_form_queries_are_bounded(client, supervisor, django_assert_max_num_queries):
    schools = [SchoolFactory(distance_km=n + 1) for n in range(8)]
    drive = DriveFactory(schools=schools, end_date=timezone.localdate() + 60 * DAY)
    for school in schools:
        StudentFactory(school=school)
    KitFactory.create_batch(5)
    OperatorFactory.create_batch(3)
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("drive_trip", args=[drive.pk]), {"sekolah": [s.pk for s in schools]})
    assert response.status_code == 200 and len(response.context["formset"].forms) == 8


def test_trip_pages_are_for_supervisors(client, operator, school_admin, school):
    drive = DriveFactory(schools=[school])
    for user in (operator, school_admin):
        client.force_login(user)
        assert client.get(reverse("drive_trip", args=[drive.pk]), {"sekolah": [school.pk]}).status_code == 403
        assert client.post(reverse("drive_trip", args=[drive.pk]), {}).status_code == 403


def test_demo_unvisited_schools_are_one_trip_with_free_kits(client, settings):
    """The two schools the demo has not visited (two kecamatan) are one suggestion, and the trip
    form plans both with free kits in one submit."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from recordings.selectors import drive_current

    settings.DEBUG = True
    call_command("seed_demo")
    drive = drive_current()
    assert Kit.objects.count() == 6
    assert set(Kit.objects.values_list("status", flat=True)) == {"siap", "rusak", "dipinjam"}
    first = trip_suggestions(drive_planning(drive))[0]
    assert first.key == "unvisited" and {row.school.npsn for row in first.rows} == set(UNVISITED_NPSN)
    client.force_login(get_user_model().objects.get(username="dukcapil"))
    ids = [row.school.pk for row in first.rows]
    response = client.get(reverse("drive_trip", args=[drive.pk]), {"sekolah": ids, "alat": 2})
    assert all(form.initial["kits"] for form in response.context["formset"].forms)
    data = formset_data(response)
    data["alat"] = "2"
    assert client.post(reverse("drive_trip", args=[drive.pk]), data).status_code == 302
    planned = School.objects.filter(npsn__in=UNVISITED_NPSN, visits__status=Visit.Status.PLANNED).distinct()
    assert planned.count() == 2
