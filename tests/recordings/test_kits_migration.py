"""Migration 0009 gives existing visits real kits ("Alat rekam 1..N") so that no kit is on two active
visits of one day, copies each team link's day, and takes a person off a second visit of the same day
(saying so in that visit's notes) so the new unique index can hold."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("recordings", "0008_visit_start_time")]
AFTER = [("recordings", "0009_kits_registry_and_bookings")]


@pytest.fixture
def back_to_latest():
    """Leave the database at the latest migrations of every app, whatever came after 0009."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_visits_get_real_kits_without_double_bookings(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    desa = old.get_model("schools", "Desa").objects.order_by("code").first()
    School = old.get_model("schools", "School")
    schools = [School.objects.create(npsn=f"7900000{n}", name=f"SMA Migrasi {n}", desa=desa) for n in range(4)]
    day = datetime.date(2026, 10, 5)
    drive = old.get_model("recordings", "Drive").objects.create(
        name="Lama", start_date=day, end_date=day + datetime.timedelta(days=30), reference_date=day
    )
    Visit = old.get_model("recordings", "Visit")
    a = Visit.objects.create(drive=drive, school=schools[0], date=day, status="done", kits=2)
    b = Visit.objects.create(drive=drive, school=schools[1], date=day, status="done", kits=3)
    c = Visit.objects.create(drive=drive, school=schools[2], date=day + datetime.timedelta(days=1), kits=1)
    d = Visit.objects.create(
        drive=drive, school=schools[3], date=day, status="postponed", postponement_reason="road", kits=2
    )
    user = old.get_model("auth", "User").objects.create(username="petugas-lama", first_name="Rina")
    Member = old.get_model("recordings", "VisitTeamMember")
    for visit in (a, b, c, d):
        Member.objects.create(visit=visit, user=user)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Kit = new.get_model("recordings", "Kit")
    VisitKit = new.get_model("recordings", "VisitKit")
    assert sorted(Kit.objects.values_list("name", flat=True)) == [f"Alat rekam {n}" for n in range(1, 6)]

    def kits(visit):
        return sorted(VisitKit.objects.filter(visit_id=visit.pk).values_list("kit__name", flat=True))

    assert (len(kits(a)), len(kits(b)), len(kits(c)), len(kits(d))) == (2, 3, 1, 2)
    assert not set(kits(a)) & set(kits(b))  # one day, five different kits
    links = VisitKit.objects.filter(visit_id__in=[a.pk, b.pk])
    assert set(links.values_list("date", "active")) == {(day, True)}
    assert set(VisitKit.objects.filter(visit_id=d.pk).values_list("active", flat=True)) == {False}
    Member = new.get_model("recordings", "VisitTeamMember")
    assert sorted(Member.objects.values_list("visit_id", "date", "active")) == sorted(
        [(a.pk, day, True), (c.pk, c.date, True), (d.pk, day, False)]
    )
    notes = new.get_model("recordings", "Visit").objects.get(pk=b.pk).notes
    assert "Rina dikeluarkan saat migrasi" in notes
