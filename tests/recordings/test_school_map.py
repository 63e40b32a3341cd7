"""The school map: one read over the read model, markers by visit state and completion, schools
without coordinates listed, the office marked, optional tiles, and bounded queries on the pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recordings.maps import BANDS, band_colour, drive_map_view, fit, map_svg, tiles
from recordings.models import Recording, Visit
from recordings.selectors.map import NOT_VISITED, POSTPONED, VISITED, drive_map
from recordings.selectors.progress import VisitState
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

MAP_PAGE_QUERIES = 8  # session, user, role, drives, the user's schools…, and the map's one read

pytestmark = pytest.mark.django_db


def _school(name, lat="-1.70", lon="103.27", **fields):
    return SchoolFactory(
        name=name,
        latitude=None if lat is None else Decimal(lat),
        longitude=None if lon is None else Decimal(lon),
        **fields,
    )


@pytest.fixture
def world():
    today = timezone.localdate()
    done = _school("SMA Selesai", "-1.70", "103.27", distance_km=Decimal("4.5"))
    half = _school("SMA Separuh", "-1.80", "103.33")
    planned = _school("SMA Terjadwal", "-1.63", "103.40")
    postponed = _school("SMA Ditunda", "-1.72", "103.12")
    nothing = _school("SMA Belum", "-1.53", "102.90")
    unplaced = _school("SMA Tanpa Titik", None, None)
    schools = [done, half, planned, postponed, nothing, unplaced]
    drive = DriveFactory(schools=schools)
    visit = VisitFactory(drive=drive, school=done, date=today - datetime.timedelta(days=2), status=Visit.Status.DONE)
    for _ in range(2):
        RecordingFactory(visit=visit, student=StudentFactory(school=done))
    running = VisitFactory(drive=drive, school=half, date=today, status=Visit.Status.IN_PROGRESS)
    RecordingFactory(visit=running, student=StudentFactory(school=half))
    RecordingFactory(visit=running, student=StudentFactory(school=half), outcome=Recording.Outcome.ABSENT)
    VisitFactory(drive=drive, school=planned, date=today + datetime.timedelta(days=3), status=Visit.Status.PLANNED)
    VisitFactory(
        drive=drive,
        school=postponed,
        date=today,
        status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.ROAD,
    )
    StudentFactory(school=nothing)
    return drive, {s.name: s for s in schools}


def test_the_selector_gives_each_school_its_state_marker_and_completion(world, django_assert_num_queries):
    drive, schools = world
    with django_assert_num_queries(1):
        school_map = drive_map(drive)
    by_name = {s.name: s for s in school_map.schools}
    assert [s.name for s in school_map.schools] == sorted(by_name)  # by name
    assert (by_name["SMA Selesai"].state, by_name["SMA Selesai"].marker) == (VisitState.VISITED, VISITED)
    assert by_name["SMA Selesai"].completion == Decimal("100.00")
    assert (by_name["SMA Separuh"].state, by_name["SMA Separuh"].marker) == (VisitState.IN_PROGRESS, VISITED)
    assert by_name["SMA Separuh"].completion == Decimal("50.00")
    assert (by_name["SMA Terjadwal"].state, by_name["SMA Terjadwal"].marker) == (VisitState.PLANNED, NOT_VISITED)
    assert (by_name["SMA Ditunda"].state, by_name["SMA Ditunda"].marker) == (VisitState.POSTPONED, POSTPONED)
    assert (by_name["SMA Belum"].state, by_name["SMA Belum"].marker) == (VisitState.NOT_VISITED, NOT_VISITED)
    assert [s.name for s in school_map.unplaced] == ["SMA Tanpa Titik"]
    assert by_name["SMA Selesai"].travel.km == Decimal("4.5") and not by_name["SMA Selesai"].travel.straight_line
    assert by_name["SMA Separuh"].travel.straight_line


def _markers(svg: str) -> list[tuple[int, str]]:
    """(school id, marker shape id) in drawing order."""
    return [
        (int(pk), shape)
        for pk, shape in re.findall(r'<a href="/progres/sekolah/(\d+)/[^"]*"[^>]*>.*?<use href="#(\w+)"', svg)
    ]


def test_markers_differ_by_shape_not_only_colour_and_the_office_is_marked(world):
    drive, schools = world
    svg = map_svg(drive_map(drive), tile_url="")
    shape = dict(_markers(svg))
    defs = svg.split("<defs>")[1].split("</defs>")[0]
    assert re.search(r'<circle id="v0"[^>]*fill="#146c43"', defs)  # 100 %
    assert re.search(r'<rect id="n"[^>]*fill="#ffffff" stroke="#212529"', defs)  # hollow square
    assert re.search(r'<path id="p"[^>]*fill="#6f42c1" stroke="#212529"', defs)  # triangle
    assert shape[schools["SMA Selesai"].pk] == "v0"  # circle, 100 % band
    assert shape[schools["SMA Separuh"].pk] == "v2"  # circle, 50–79 % band
    assert shape[schools["SMA Belum"].pk] == "n"
    assert shape[schools["SMA Terjadwal"].pk] == "n"
    assert shape[schools["SMA Ditunda"].pk] == "p"
    assert schools["SMA Tanpa Titik"].pk not in shape  # no point: not drawn
    assert 'data-testid="map-office"' in svg and "Kantor Dukcapil" in svg
    # Not visited and postponed schools are drawn last, on top of the visited ones.
    order = [s[0] for _pk, s in _markers(svg)]
    assert order == sorted(order, key=["v", "n", "p"].index)
    # Each marker opens the school's progress page in this drive; its title names it.
    assert f'<a href="{reverse("progress_school", args=[schools["SMA Belum"].pk])}?drive={drive.pk}"' in svg
    assert "<title>SMA Ditunda · Ditunda · 0,00" in svg
    assert "<image" not in svg  # no tile layer unless configured


def test_colour_bands_have_distinct_colours():
    assert len({colour for _lowest, colour, _label in BANDS}) == len(BANDS)
    assert band_colour(Decimal("99.99")) != band_colour(Decimal(100))
    assert band_colour(Decimal(0)) == BANDS[-1][1]


def test_the_frame_fits_every_point_and_the_office():
    points = [(-1.53, 102.90), (-1.83, 103.40), (-1.6956, 103.2648)]
    frame = fit(points)
    for lat, lon in points:
        x, y = frame.point(lat, lon)
        assert 0 < x < frame.width and 0 < y < frame.height
    single = fit([(-1.7, 103.27)])  # one point: a minimum span around it
    assert single.point(-1.7, 103.27) == (single.width / 2, round(single.height / 2, 1))


def test_tiles_only_with_a_tile_url_and_covering_the_box(world, settings):
    drive, _schools = world
    frame = fit([(-1.53, 102.90), (-1.83, 103.40)])
    found = tiles(frame, "https://tiles.example.org/{z}/{x}/{y}.png")
    assert 1 <= len(found) <= 36
    assert all(re.match(r"https://tiles\.example\.org/\d+/\d+/\d+\.png", href) for href, *_rest in found)
    left = min(x for _h, x, _y, _s in found)
    right = max(x + size for _h, x, _y, size in found)
    assert left <= 0 and right >= frame.width
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© Contoh peta"
    view = drive_map_view(drive)
    assert '<image href="https://tiles.example.org/' in view.svg
    assert view.attribution == "© Contoh peta"


def test_table_lists_every_school_with_status_and_distance(world, client, supervisor):
    drive, schools = world
    client.force_login(supervisor)
    html = client.get(reverse("progress_map"), {"drive": drive.pk}, HTTP_HX_REQUEST="true").content.decode()
    section = html.split('data-testid="school-map"')[1].split("</section>")[0]
    table = section.split('data-testid="school-map-table"')[1]
    assert table.split("<tbody>")[1].count("<tr>") == 6
    assert "SMA Tanpa Titik</a> <span" in table and "tanpa koordinat" in table
    assert "4,5 km" in table and "(garis lurus)" in table
    assert "Ditunda" in table and "Sedang dikunjungi" in table and "Dijadwalkan" in table
    summary = section.split('data-testid="school-map-summary"')[1].split("</p>")[0]
    assert "6 sekolah: 2 sudah dikunjungi, 3 belum dikunjungi, 1 ditunda" in summary
    assert "1 sekolah belum punya koordinat" in summary
    assert "Belum dikunjungi (kotak berbingkai)" in section  # the legend names the shapes


def test_school_admin_sees_only_their_school_on_the_map(world, client):
    from tests.factories import SchoolAdminUserFactory

    drive, schools = world
    client.force_login(SchoolAdminUserFactory(school=schools["SMA Belum"]))
    html = client.get(reverse("progress_map"), {"drive": drive.pk}, HTTP_HX_REQUEST="true").content.decode()
    section = html.split('data-testid="school-map"')[1].split("</section>")[0]
    assert "SMA Belum" in section and "SMA Selesai" not in section


@pytest.mark.parametrize("page", ["progress_dashboard", "drive_detail"])
def test_the_pages_load_the_map_after_themselves(world, client, supervisor, page):
    drive, _schools = world
    client.force_login(supervisor)
    url = reverse(page, args=[drive.pk]) if page == "drive_detail" else reverse(page)
    html = client.get(url, {"drive": drive.pk} if page == "progress_dashboard" else {}).content.decode()
    placeholder = html.split('data-testid="school-map-placeholder"')[1].split("</section>")[0]
    map_url = f"{reverse('progress_map')}?drive={drive.pk}"
    assert f'hx-get="{map_url}"' in placeholder and 'hx-trigger="load"' in placeholder
    assert f'href="{map_url}"' in placeholder  # without JavaScript: a link to the map's own page
    assert 'data-testid="school-map-svg"' not in html
    own_page = client.get(map_url).content.decode()
    assert "<html" in own_page and 'data-testid="school-map-svg"' in own_page
    fragment = client.get(map_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'data-testid="school-map-svg"' in fragment


def _grow(drive, n: int) -> None:
    for i in range(n):
        school = _school(f"SMA Tambahan {i}", f"-1.{60 + i}", "103.2")
        drive.drive_schools.create(school=school)
        VisitFactory(drive=drive, school=school, status=Visit.Status.DONE)
        StudentFactory(school=school)


@pytest.mark.parametrize("htmx", [True, False])
def test_the_map_reads_one_query_whatever_the_number_of_schools(world, client, supervisor, htmx):
    drive, _schools = world
    client.force_login(supervisor)
    url, params = reverse("progress_map"), {"drive": drive.pk}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params, **headers).status_code == 200
    _grow(drive, 10)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params, **headers)
    assert len(captured) == len(small)
    map_reads = [
        q["sql"] for q in captured.captured_queries if "bool_or(status = " in q["sql"] and "AS postponed" in q["sql"]
    ]
    assert len(map_reads) == 1  # the map's one read


def test_pages_with_the_map_keep_their_query_bounds(world, client, supervisor, django_assert_max_num_queries):
    drive, _schools = world
    client.force_login(supervisor)
    with django_assert_max_num_queries(MAP_PAGE_QUERIES):
        client.get(reverse("progress_map"), {"drive": drive.pk}, HTTP_HX_REQUEST="true")
    for url, params in (
        (reverse("progress_dashboard"), {"drive": drive.pk}),
        (reverse("drive_detail", args=[drive.pk]), {}),
    ):
        with CaptureQueriesContext(connection) as captured:
            client.get(url, params)
        assert not [q for q in captured.captured_queries if "bool_or(status = " in q["sql"]]  # the map is not read


def test_a_tile_host_is_allowed_in_img_src_only_when_set():
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )

    def img_src(**env) -> list[str]:
        environment = {**os.environ, "EKTP_ENV_FILE": "/dev/null", "DJANGO_SETTINGS_MODULE": "ektp_drives.settings"}
        environment.update(env)
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert img_src(MAP_TILE_URL="") == ["'self'", "data:"]
    assert img_src(MAP_TILE_URL="https://tile.example.org/{z}/{x}/{y}.png")[-1] == "https://tile.example.org"


def test_the_maps_integer_completion_rounds_as_the_pages_do():
    from recordings.selectors.map import MapSchool
    from recordings.selectors.progress import completion_percent

    for target in (0, 1, 3, 7, 61, 67, 99, 101):
        for done in range(target + 1):
            school = MapSchool.of(1, "", "", "", None, None, None, None, target, done, state=VisitState.VISITED)
            assert school.completion == completion_percent(done, target), (done, target)
