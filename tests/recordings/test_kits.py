"""Kits registry and bookings: history of a kit's status, broken kits refused, a kit or an operator on
two visits of one day refused (naming the other visit), bookings kept right whoever changes a visit,
the plan form offering only free kits, the days estimate warning, scope and bounded queries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import Kit, Visit, VisitKit, VisitTeamMember
from recordings.selectors.planning import drive_planning
from tests.factories import (
    DriveFactory,
    KitFactory,
    OperatorFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def soon(days=3):
    return timezone.localdate() + days * DAY


@pytest.fixture
def two_schools():
    a, b = SchoolFactory(name="SMAN 1 Uji"), SchoolFactory(name="SMAN 2 Uji")
    drive = DriveFactory(schools=[a, b], end_date=timezone.localdate() + 60 * DAY)
    return drive, a, b


def plan(drive, school, day, kits, team=(), by=None):
    return services.visit_schedule(drive=drive, school=school, date=day, kits=kits, team=team, by=by)


# --- registry and history -------------------------------------------------------------------


def test_kit_names_are_unique_whatever_the_case(supervisor):
    services.kit_create(name="Alat rekam 1", by=supervisor)
    with pytest.raises(ValidationError, match="Sudah ada alat bernama"):
        services.kit_create(name="  alat REKAM 1 ", by=supervisor)
    kit = services.kit_create(name="Alat rekam 2", note="Baru", by=supervisor)
    with pytest.raises(ValidationError, match="Sudah ada alat bernama"):
        services.kit_update(kit=kit, name="ALAT REKAM 1", by=supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Kit.objects.create(name="ALAT rekam 2")  # the database refuses it too


def test_status_change_is_kept_in_the_kit_history_shown_in_indonesian(client, supervisor, operator):
    client.force_login(supervisor)
    response = client.post(reverse("kit_create"), {"name": "SN-0042", "status": "siap", "note": ""})
    kit = Kit.objects.get(name="SN-0042")
    assert response.status_code == 302 and response.url == reverse("kit_detail", args=[kit.pk])
    response = client.post(reverse("kit_status", args=[kit.pk]), {"status": "rusak", "note": "Sensor sidik jari mati"})
    assert response.status_code == 302
    kit.refresh_from_db()
    assert (kit.status, kit.note) == (Kit.Status.BROKEN, "Sensor sidik jari mati")
    client.force_login(operator)  # operators read the kit and its history
    page = client.get(reverse("kit_detail", args=[kit.pk])).content.decode()
    history = page[page.index('data-testid="kit-history"') :]
    assert "status: Siap → Rusak" in history
    assert "catatan: — → Sensor sidik jari mati" in history
    assert "dibuat" in history and "diubah" in history
    assert supervisor.get_full_name() in history  # who made the change
    assert "Ubah status" not in page  # operators only read
    assert client.post(reverse("kit_status", args=[kit.pk]), {"status": "siap"}).status_code == 403
    kit.refresh_from_db()
    assert kit.status == Kit.Status.BROKEN


def test_school_admin_never_sees_the_kit_registry(client, school_admin):
    kit = KitFactory()
    client.force_login(school_admin)
    for url in (reverse("kit_list"), reverse("kit_detail", args=[kit.pk]), reverse("kit_create")):
        assert client.get(url).status_code == 403
    assert reverse("kit_list") not in client.get(reverse("home")).content.decode()


# --- refusing a broken kit and double bookings ----------------------------------------------


@pytest.mark.parametrize("status", [Kit.Status.BROKEN, Kit.Status.LENT])
def test_a_broken_or_lent_kit_cannot_be_assigned(two_schools, supervisor, status):
    drive, a, _b = two_schools
    kit = KitFactory(name="Alat rekam 9", status=status)
    with pytest.raises(ValidationError, match=f"Alat ‘Alat rekam 9’ sedang {Kit.Status(status).label.lower()}"):
        plan(drive, a, soon(), [kit, KitFactory()], by=supervisor)
    assert not Visit.objects.exists()


def test_a_kit_on_two_visits_the_same_day_is_refused_naming_the_other_visit(two_schools, supervisor):
    drive, a, b = two_schools
    kit, other = KitFactory(name="Alat rekam 2"), KitFactory()
    day = soon()
    plan(drive, b, day, [kit], by=supervisor)
    with pytest.raises(ValidationError) as exc:
        plan(drive, a, day, [other, kit], by=supervisor)
    month = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"][day.month - 1]
    assert exc.value.messages == [
        f"Alat ‘Alat rekam 2’ sudah dipakai kunjungan ke SMAN 2 Uji pada {day.day} {month} {day.year}."
    ]
    assert Visit.objects.filter(school=a).count() == 0
    # Another day is fine; and the database refuses what the check would: a direct second booking.
    plan(drive, a, day + DAY, [kit], by=supervisor)
    visit_a = Visit.objects.get(school=a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit_a.pk).update(date=day)


def test_an_operator_on_two_visits_the_same_day_is_refused(two_schools, supervisor):
    drive, a, b = two_schools
    budi = OperatorFactory(first_name="Budi", last_name="Santoso")
    day = soon()
    plan(drive, b, day, [KitFactory()], team=[budi], by=supervisor)
    with pytest.raises(ValidationError, match="Petugas ‘Budi Santoso’ sudah bertugas di kunjungan ke SMAN 2 Uji"):
        plan(drive, a, day, [KitFactory()], team=[budi], by=supervisor)
    assert not Visit.objects.filter(school=a).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitTeamMember.objects.create(visit=VisitFactory(drive=drive, school=a, date=day), user=budi)


def test_postponed_and_cancelled_visits_free_their_kits_and_team(two_schools, supervisor):
    drive, a, b = two_schools
    kit, budi = KitFactory(), OperatorFactory()
    day = soon()
    first = plan(drive, b, day, [kit], team=[budi], by=supervisor)
    services.visit_postpone(visit=first, reason="power_cut", by=supervisor)
    assert list(VisitKit.objects.filter(visit=first).values_list("date", "active")) == [(day, False)]
    second = plan(drive, a, day, [kit], team=[budi], by=supervisor)  # now free
    services.visit_cancel(visit=second, by=supervisor)
    third = plan(drive, b, day, [kit], team=[budi], by=supervisor)
    assert third.kit_count == 1


def test_reschedule_checks_the_new_day_and_keeps_its_own_kits(two_schools, supervisor):
    drive, a, b = two_schools
    kit, mine = KitFactory(name="Alat A"), KitFactory(name="Alat B")
    plan(drive, b, soon(4), [kit], by=supervisor)
    visit = plan(drive, a, soon(3), [mine], by=supervisor)
    visit = services.visit_reschedule(visit=visit, date=soon(5), kits=[mine], by=supervisor)  # own kit: fine
    with pytest.raises(ValidationError, match="Alat ‘Alat A’ sudah dipakai kunjungan ke SMAN 2 Uji"):
        services.visit_reschedule(visit=visit, date=soon(4), kits=[mine, kit], by=supervisor)
    visit.refresh_from_db()
    assert visit.date == soon(5) and [k.name for k in visit.kits.all()] == ["Alat B"]


def test_booking_columns_follow_the_visit_whoever_changes_it(two_schools, supervisor):
    """The Django admin (or SQL) saves the visit without the service: the trigger keeps the link
    rows' day and "active" right, so the unique indexes still hold."""
    drive, a, b = two_schools
    kit, budi = KitFactory(), OperatorFactory()
    visit = plan(drive, a, soon(3), [kit], team=[budi], by=supervisor)
    visit.date = soon(6)
    visit.save()  # as the admin's change form does
    assert set(VisitKit.objects.filter(visit=visit).values_list("date", "active")) == {(soon(6), True)}
    assert set(VisitTeamMember.objects.filter(visit=visit).values_list("date", "active")) == {(soon(6), True)}
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.CANCELLED)
    assert set(VisitKit.objects.filter(visit=visit).values_list("active", flat=True)) == {False}
    plan(drive, b, soon(6), [kit], team=[budi], by=supervisor)  # freed by the cancellation
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.PLANNED)  # would book them twice


def test_admin_change_of_a_visit_keeps_bookings(client, superuser, two_schools, supervisor):
    drive, a, _b = two_schools
    visit = plan(drive, a, soon(3), [KitFactory()], by=supervisor)
    client.force_login(superuser)
    page = client.get(reverse("admin:recordings_visit_change", args=[visit.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"date": soon(8).isoformat(), "start_time": "08:00", "replaces": "", "created_by": ""})
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = value
    response = client.post(reverse("admin:recordings_visit_change", args=[visit.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert set(VisitKit.objects.filter(visit=visit).values_list("date", flat=True)) == {soon(8)}


# --- forms: free kits, start time, days warning -----------------------------------------------


def test_plan_form_offers_only_ready_free_kits_for_the_date_and_refreshes(client, supervisor, two_schools):
    drive, a, b = two_schools
    free, booked = KitFactory(name="Alat Bebas"), KitFactory(name="Alat Terpakai")
    KitFactory(name="Alat Rusak", status=Kit.Status.BROKEN)
    plan(drive, b, soon(), [booked], by=supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("visit_plan", args=[drive.pk]), {"school": a.pk, "date": soon().isoformat()})
    html = page.content.decode()
    box = html[html.index('data-testid="kit-choices"') : html.index("</fieldset>", html.index("kit-choices"))]
    assert f'value="{free.pk}"' in box and f'value="{booked.pk}"' not in box
    assert "Alat Terpakai (dipakai di SMAN 2 Uji)" in box and "Alat Rusak (rusak)" in box
    assert 'hx-trigger="change from:#id_date"' in box
    # The HTMX refresh for another day: the booked kit is free then, and a checked kit stays checked.
    refresh = client.get(
        reverse("drive_kits_free", args=[drive.pk]),
        {"name": "kits", "box": "kit-choices", "date_id": "id_date", "date_field": "date",
         "date": soon(2).isoformat(), "kits": [free.pk]},
        HTTP_HX_REQUEST="true",
    ).content.decode()  # fmt: skip
    assert refresh.lstrip().startswith('<fieldset id="kit-choices"')
    assert f'value="{booked.pk}"' in refresh and f'value="{free.pk}" id="kit-choices-{free.pk}" checked' in refresh


def test_plan_with_start_time_and_short_visit_warning(client, supervisor, two_schools):
    drive, a, _b = two_schools
    for _ in range(130):
        StudentFactory(school=a)
    kit = KitFactory(name="Alat Satu")
    client.force_login(supervisor)
    form = client.get(reverse("visit_plan", args=[drive.pk]), {"school": a.pk}).content.decode()
    assert "Sisa 130 peserta didik" in form and "perlu 3 alat agar selesai dalam satu hari" in form
    response = client.post(
        reverse("visit_plan", args=[drive.pk]),
        {"school": a.pk, "date": soon().isoformat(), "start_time": "07:30", "kits": [kit.pk]},
        follow=True,
    )
    visit = Visit.objects.get(school=a)
    assert visit.start_time == datetime.time(7, 30) and visit.kit_count == 1
    assert "perlu ± 3 hari dengan 1 alat" in response.content.decode()  # the message after planning
    (row,) = [r for r in drive_planning(drive) if r.school == a]
    assert row.short_visit and row.days_needed == 3  # ceil(130 ÷ (1 × 60))
    planning = client.get(reverse("drive_detail", args=[drive.pk])).content.decode()
    assert 'data-testid="short-visits"' in planning and "SMAN 1 Uji" in planning
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert "mulai 07.30 WIB" in page and "Alat Satu" in page and 'data-testid="short-visit"' in page


def test_days_estimate_uses_assigned_kits(two_schools, supervisor):
    drive, a, b = two_schools
    for _ in range(250):
        StudentFactory(school=a)
    for _ in range(50):
        StudentFactory(school=b)
    VisitFactory(drive=drive, school=a, date=soon(), status=Visit.Status.PLANNED, kits=3)
    rows = {row.school: row for row in drive_planning(drive, default_kits=1)}
    assert (rows[a].kits, rows[a].days_needed, rows[a].short_visit) == (3, 2, True)  # ceil(250 ÷ 180)
    assert (rows[b].kits, rows[b].days_needed, rows[b].short_visit) == (1, 1, False)


def test_distance_column_entered_or_straight_line(client, operator, settings):
    settings.OFFICE_LATITUDE, settings.OFFICE_LONGITUDE = -1.7, 103.25
    entered = SchoolFactory(name="SMA Jarak", distance_km=12.5, travel_minutes=25)
    line = SchoolFactory(name="SMA Garis", latitude=-1.8, longitude=103.25)
    unknown = SchoolFactory(name="SMA Entah")
    drive = DriveFactory(schools=[entered, line, unknown])
    client.force_login(operator)
    html = client.get(reverse("drive_detail", args=[drive.pk])).content.decode()
    table = html[html.index('id="planning"') :]
    cells = {}
    for school in (entered, line, unknown):
        row = table[table.index(f'data-npsn="{school.npsn}"') :]
        cell = row[row.index('data-testid="distance"') :]
        cells[school.name] = cell[cell.index(">") + 1 : cell.index("</td>")].strip()
    assert cells["SMA Jarak"] == "12,5 km · 25 mnt"
    assert "± 11,1 km garis lurus" in cells["SMA Garis"]
    assert cells["SMA Entah"] == "—"


# --- bounded queries --------------------------------------------------------------------------


def test_kit_list_queries_are_bounded(client, operator, django_assert_max_num_queries):
    drive = DriveFactory(end_date=timezone.localdate() + 60 * DAY)
    for n in range(8):
        school = SchoolFactory()
        VisitFactory(drive=drive, school=school, date=soon(n + 1), status=Visit.Status.PLANNED, kits=2)
    client.force_login(operator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("kit_list"))
    assert response.status_code == 200 and len(response.context["kits"]) == 16


def test_planning_page_queries_are_bounded(client, supervisor, django_assert_max_num_queries):
    schools = SchoolFactory.create_batch(10)
    drive = DriveFactory(schools=schools, end_date=timezone.localdate() + 60 * DAY)
    KitFactory.create_batch(4)
    for n, school in enumerate(schools[:6]):
        StudentFactory(school=school)
        VisitFactory(drive=drive, school=school, date=soon(n + 1), status=Visit.Status.PLANNED, kits=2)
    client.force_login(supervisor)
    with django_assert_max_num_queries(19):
        response = client.get(reverse("drive_detail", args=[drive.pk]))
    assert response.status_code == 200 and len(response.context["rows"]) == 10
