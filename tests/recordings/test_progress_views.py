"""Progress dashboard and school page: scope per role, filters, sorting, bounded queries (issue 5)."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from recordings.models import Recording, Visit
from schools.models import Desa, School
from tests.factories import (
    DriveFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

REF = datetime.date(2026, 12, 31)
OUTCOME = Recording.Outcome


@pytest.fixture
def season(school, other_school):
    """Two schools: `school` visited (4 of 5 done), `other_school` not visited (0 of 4)."""
    drive = DriveFactory(
        start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=[school, other_school]
    )
    visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
    for outcome in [OUTCOME.RECORDED, OUTCOME.RECORDED, OUTCOME.RECORDED, OUTCOME.ALREADY_RECORDED, OUTCOME.ABSENT]:
        RecordingFactory(visit=visit, student=StudentFactory(school=school), outcome=outcome)
    for _ in range(4):
        StudentFactory(school=other_school)
    VisitFactory(
        drive=drive,
        school=other_school,
        date=datetime.date(2026, 9, 12),
        status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.POWER_CUT,
    )
    drive.visit = visit
    return drive


def text_of(response, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">([^<]*)', response.content.decode())
    return match.group(1).replace("&nbsp;", " ").replace("\xa0", " ").strip() if match else ""


def npsns(response) -> list[str]:
    return re.findall(r'data-testid="school-row" data-npsn="(\d+)"', response.content.decode())


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("progress_dashboard", []),
        ("progress_report", []),
        ("progress_school", [1]),
        ("progress_export_summary", ["xlsx"]),
        ("progress_export_students", ["csv"]),
        ("progress_export_school_students", [1, "xlsx"]),
        ("progress_export_visit", [1, "csv"]),
    ],
)
def test_anonymous_users_are_sent_to_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_role_is_refused(client, season):
    client.force_login(UserFactory())
    assert client.get(reverse("progress_dashboard")).status_code == 403
    assert client.get(reverse("progress_report")).status_code == 403


@pytest.mark.parametrize("user_fixture", ["supervisor", "operator", "superuser"])
def test_staff_see_every_school_of_the_drive(client, season, school, other_school, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))
    response = client.get(reverse("progress_dashboard"))
    assert response.status_code == 200
    assert text_of(response, "target") == "9"
    assert text_of(response, "done") == "4"
    assert text_of(response, "completion") == "44,44 %"
    assert text_of(response, "remaining") == "5"
    assert text_of(response, "schools-not-visited") == "1"
    assert sorted(npsns(response)) == sorted([school.npsn, other_school.npsn])
    html = response.content.decode()
    assert other_school.name in html  # named as not visited yet
    assert "Listrik padam" in html  # why the visit was postponed


def test_school_admin_sees_only_their_school(client, season, school, other_school, school_admin):
    client.force_login(school_admin)
    response = client.get(reverse("progress_dashboard"))
    assert response.status_code == 200
    assert text_of(response, "target") == "5"
    assert text_of(response, "completion") == "80,00 %"
    assert npsns(response) == [school.npsn]
    html = response.content.decode()
    assert other_school.name not in html
    assert 'data-testid="kecamatan-table"' not in html


def test_school_admin_gets_404_for_another_school(client, season, other_school, school_admin):
    client.force_login(school_admin)
    assert client.get(reverse("progress_school", args=[other_school.pk])).status_code == 404


def test_school_admin_gets_404_for_a_drive_their_school_is_not_in(client, season, school_admin):
    foreign = DriveFactory(schools=[SchoolFactory()])
    client.force_login(school_admin)
    assert client.get(reverse("progress_dashboard"), {"drive": foreign.pk}).status_code == 404


def test_drive_selection(client, season, supervisor, school):
    older = DriveFactory(
        name="Tahun lalu",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2025, 12, 31),
        reference_date=datetime.date(2025, 12, 31),
        schools=[school],
    )
    client.force_login(supervisor)
    response = client.get(reverse("progress_dashboard"), {"drive": older.pk})
    assert response.context["drive"] == older
    assert text_of(response, "done") == "0"
    assert client.get(reverse("progress_dashboard"), {"drive": 999999}).status_code == 404


def test_no_drive_yet(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("progress_dashboard"))
    assert response.status_code == 200
    assert "Belum ada kegiatan perekaman" in response.content.decode()


# --- filters and sorting -----------------------------------------------------------------------


@pytest.fixture
def many_schools(season, school, other_school):
    """Add an SMK swasta in another kecamatan with 1 of 2 done."""
    desa = Desa.objects.exclude(kecamatan=school.desa.kecamatan).order_by("code").first()
    smk = SchoolFactory(name="SMK Swasta Contoh", level=School.Level.SMK, status=School.Status.SWASTA, desa=desa)
    season.drive_schools.create(school=smk)
    visit = VisitFactory(drive=season, school=smk, date=datetime.date(2026, 9, 15), status=Visit.Status.DONE)
    RecordingFactory(visit=visit, student=StudentFactory(school=smk))
    StudentFactory(school=smk)
    return smk


def test_filters(client, supervisor, season, school, other_school, many_schools):
    smk = many_schools
    client.force_login(supervisor)
    url = reverse("progress_dashboard")
    assert npsns(client.get(url, {"kecamatan": smk.desa.kecamatan_id})) == [smk.npsn]
    assert npsns(client.get(url, {"level": "SMK"})) == [smk.npsn]
    assert npsns(client.get(url, {"status": "swasta"})) == [smk.npsn]
    assert npsns(client.get(url, {"visit": "not_visited_any"})) == [other_school.npsn]
    assert npsns(client.get(url, {"visit": "postponed"})) == [other_school.npsn]
    assert sorted(npsns(client.get(url, {"below": "80"}))) == sorted([other_school.npsn, smk.npsn])
    assert sorted(npsns(client.get(url, {"below": "50,5"}))) == sorted([other_school.npsn, smk.npsn])
    assert npsns(client.get(url, {"below": "50"})) == [other_school.npsn]
    assert npsns(client.get(url, {"q": "swasta contoh"})) == [smk.npsn]
    assert npsns(client.get(url, {"q": school.npsn})) == [school.npsn]
    # The headline stays the whole drive; the filtered figures are shown next to the table.
    response = client.get(url, {"level": "SMK"})
    assert text_of(response, "target") == "11"
    assert "sasaran 2, sudah terekam 1 (50,00 %)" in " ".join(response.content.decode().split())


def test_invalid_filters_are_ignored(client, supervisor, season):
    client.force_login(supervisor)
    response = client.get(reverse("progress_dashboard"), {"below": "abc", "level": "XYZ", "sort": "nope", "page": "x"})
    assert response.status_code == 200
    assert len(npsns(response)) == 2


def test_sorting(client, supervisor, season, school, other_school, many_schools):
    smk = many_schools
    client.force_login(supervisor)
    url = reverse("progress_dashboard")
    assert npsns(client.get(url, {"sort": "-completion"})) == [school.npsn, smk.npsn, other_school.npsn]
    assert npsns(client.get(url, {"sort": "completion"})) == [other_school.npsn, smk.npsn, school.npsn]
    assert npsns(client.get(url, {"sort": "-target"}))[0] == school.npsn
    assert npsns(client.get(url, {"sort": "last_visit"}))[-1] == smk.npsn
    response = client.get(url, {"sort": "-completion"})
    assert 'aria-sort="descending"' in response.content.decode()


def test_htmx_request_gets_only_the_results(client, supervisor, season):
    client.force_login(supervisor)
    response = client.get(
        reverse("progress_dashboard"), {"level": "SMA"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="progress-results"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="progress-results"' in html
    assert 'hx-swap-oob="true"' in html


def test_pagination(client, supervisor, season):
    for i in range(55):
        season.drive_schools.create(school=SchoolFactory(name=f"SMA Halaman {i:02d}"))
    client.force_login(supervisor)
    first = client.get(reverse("progress_dashboard"))
    assert len(npsns(first)) == 50
    second = client.get(reverse("progress_dashboard"), {"page": 2})
    assert len(npsns(second)) == 7
    assert "Halaman 2 dari 2" in second.content.decode()


def test_kecamatan_table(client, supervisor, season, school, many_schools):
    client.force_login(supervisor)
    response = client.get(reverse("progress_dashboard"))
    rows = {k.kecamatan_id: k for k in response.context["kecamatan_page"]}
    assert rows[school.desa.kecamatan_id].progress.target == 9
    assert rows[school.desa.kecamatan_id].schools_visited == 1
    assert rows[many_schools.desa.kecamatan_id].progress.done == 1
    assert response.content.decode().count('data-testid="kecamatan-row"') == 2


def test_kecamatan_table_sorts(client, supervisor, season, school, many_schools):
    client.force_login(supervisor)
    url = reverse("progress_dashboard")
    by_done = [k.kecamatan_id for k in client.get(url, {"ksort": "-done"}).context["kecamatan_page"]]
    assert by_done == [school.desa.kecamatan_id, many_schools.desa.kecamatan_id]
    by_completion = [k.kecamatan_id for k in client.get(url, {"ksort": "completion"}).context["kecamatan_page"]]
    assert by_completion == [school.desa.kecamatan_id, many_schools.desa.kecamatan_id]  # 44 % before 50 %


def test_chart_is_server_rendered_svg(client, supervisor, season):
    client.force_login(supervisor)
    html = client.get(reverse("progress_dashboard")).content.decode()
    assert '<svg class="progress-chart"' in html
    assert 'role="img"' in html
    assert "4 dari 9 peserta didik sudah terekam" in html
    assert "<script>" not in html


# --- school page -------------------------------------------------------------------------------


def test_school_page_lists_students_still_to_record_with_why(client, supervisor, season, school):
    second = VisitFactory(drive=season, school=school, date=datetime.date(2026, 9, 20), status=Visit.Status.DONE)
    failed = StudentFactory(school=school, name="Gagal Rekam")
    RecordingFactory(visit=second, student=failed, outcome=OUTCOME.BIOMETRIC_FAILURE)
    no_kk = StudentFactory(school=school, name="Lupa KK")
    RecordingFactory(visit=second, student=no_kk, outcome=OUTCOME.MISSING_DOCUMENTS)
    no_nik = StudentFactory(school=school, name="Tanpa NIK", nik="")
    client.force_login(supervisor)
    response = client.get(reverse("progress_school", args=[school.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(response, "target") == "8"
    assert text_of(response, "done") == "4"
    assert html.count('data-testid="student-row"') == 4
    for label in ["Tidak hadir", "Gagal rekam, perlu ulang", "Tidak membawa fotokopi KK", "NIK kosong", "Belum didata"]:
        assert label in html
    assert failed.nik not in html  # NIK masked in lists
    assert failed.nik[:4] + "********" + failed.nik[-4:] in html
    assert html.count('data-testid="visit-row"') == 2
    only_failed = client.get(reverse("progress_school", args=[school.pk]), {"alasan": "biometric_failure"})
    assert [s.pk for s in only_failed.context["students"]] == [failed.pk]
    only_no_nik = client.get(reverse("progress_school", args=[school.pk]), {"alasan": "no_nik"})
    assert [s.pk for s in only_no_nik.context["students"]] == [no_nik.pk]


def test_school_page_for_own_school_admin(client, season, school, school_admin):
    client.force_login(school_admin)
    response = client.get(reverse("progress_school", args=[school.pk]))
    assert response.status_code == 200
    assert 'data-testid="export-school-xlsx"' in response.content.decode()


def test_school_page_of_a_school_outside_the_drive(client, supervisor, season):
    outsider = SchoolFactory()
    client.force_login(supervisor)
    response = client.get(reverse("progress_school", args=[outsider.pk]))
    assert response.status_code == 200
    assert "tidak ikut kegiatan" in response.content.decode()


# --- bounded queries ---------------------------------------------------------------------------


def _grow(drive, n: int) -> None:
    for i in range(n):
        school = SchoolFactory()
        drive.drive_schools.create(school=school)
        visit = VisitFactory(drive=drive, school=school, status=Visit.Status.DONE)
        for outcome in (OUTCOME.RECORDED, OUTCOME.ABSENT):
            RecordingFactory(visit=visit, student=StudentFactory(school=school), outcome=outcome)
        if i % 2:
            VisitFactory(
                drive=drive,
                school=school,
                status=Visit.Status.POSTPONED,
                postponement_reason=Visit.PostponementReason.ROAD,
            )


def _count_queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


def test_dashboard_query_count_is_bounded_and_flat(client, supervisor, season, django_assert_max_num_queries):
    client.force_login(supervisor)
    url, params = reverse("progress_dashboard"), {"sort": "-completion", "level": "SMA"}
    small = _count_queries(client, url, params)
    _grow(season, 12)
    assert _count_queries(client, url, params) == small
    # Each query reads the read model by index: the kecamatan tally (headline, kecamatan table and
    # filter options), the filtered table's sums, the first schools not visited, postponed visits
    # (listed and counted in one),
    # one page with its visits, the chart.
    with django_assert_max_num_queries(13):
        client.get(url, params)


def test_school_admin_dashboard_query_count_is_bounded(client, school_admin, season, django_assert_max_num_queries):
    client.force_login(school_admin)
    small = _count_queries(client, reverse("progress_dashboard"))
    _grow(season, 6)
    assert _count_queries(client, reverse("progress_dashboard")) == small
    with django_assert_max_num_queries(13):
        client.get(reverse("progress_dashboard"))


def test_school_page_query_count_is_bounded_and_flat(
    client, school_admin, season, school, django_assert_max_num_queries
):
    client.force_login(school_admin)
    url = reverse("progress_school", args=[school.pk])
    small = _count_queries(client, url)
    for _ in range(25):
        StudentFactory(school=school)
    VisitFactory(drive=season, school=school, status=Visit.Status.DONE)
    assert _count_queries(client, url) == small
    with django_assert_max_num_queries(15):
        client.get(url)


def test_report_query_count_is_bounded(client, supervisor, season, django_assert_max_num_queries):
    client.force_login(supervisor)
    small = _count_queries(client, reverse("progress_report"))
    _grow(season, 8)
    assert _count_queries(client, reverse("progress_report")) == small
    with django_assert_max_num_queries(13):
        client.get(reverse("progress_report"))


# --- the demo season ---------------------------------------------------------------------------


def test_demo_season_dashboard_shows_the_reported_figures(client):
    call_command("seed_demo", verbosity=0, i_know_this_is_not_production=True)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="dukcapil"))
    response = client.get(reverse("progress_dashboard"))
    assert text_of(response, "target") == "2.100"
    assert text_of(response, "completion") == "79,38 %"
    assert text_of(response, "schools-visited").startswith("26")
    assert text_of(response, "schools-not-visited") == "2"
    html = response.content.decode()
    assert "SMKN 5 Batanghari" in html
    assert re.search(r"SMAN 9 BATANG\s*HARI", html, re.IGNORECASE)


def test_demo_school_admin_sees_own_school(client):
    call_command("seed_demo", verbosity=0, i_know_this_is_not_production=True)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="sekolah-10500313")
    client.force_login(user)
    response = client.get(reverse("progress_dashboard"))
    assert npsns(response) == ["10500313"]


def test_large_ids_are_not_written_with_thousand_separators(client, supervisor):
    """Indonesian number format (2.100) must never leak into ids in links and form values."""
    from schools.models import Kecamatan

    kecamatan = Kecamatan.objects.create(pk=7654, code="99.99.99", name="Kecamatan Uji")
    desa = Desa.objects.create(pk=8765, code="99.99.99.2001", name="Desa Uji", kind=Desa.Kind.DESA, kecamatan=kecamatan)
    school = SchoolFactory(pk=654321, desa=desa)
    drive = DriveFactory(pk=123456, schools=[school])
    StudentFactory(school=school)
    client.force_login(supervisor)
    html = client.get(reverse("progress_dashboard"), {"drive": drive.pk}).content.decode()
    assert "123.456" not in html and "7.654" not in html
    assert 'name="drive" value="123456"' in html
    assert '<option value="7654"' in html
    assert "kecamatan=7654" in html
    assert "/progres/sekolah/654321/?drive=123456" in html
    filtered = client.get(reverse("progress_dashboard"), {"drive": drive.pk, "kecamatan": "7654"})
    assert npsns(filtered) == [school.npsn]
