"""Importing school coordinates from a file (NPSN, Lintang, Bujur): every bad row named, a preview
of old → new, all or nothing, and the same file again changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pghistory.models
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from schools import services
from schools.importing import coordinates
from schools.importing.readers import UnreadableFile
from schools.models import School
from tests.factories import OperatorFactory, SchoolAdminUserFactory, SchoolFactory

pytestmark = pytest.mark.django_db

URL = "schools:coordinates_import"


@pytest.fixture
def schools(db):
    one = SchoolFactory(npsn="10500313", name="SMAN 1 Contoh")
    two = SchoolFactory(npsn="10500327", name="SMKN 2 Contoh", latitude=Decimal("-1.6"), longitude=Decimal("103.1"))
    three = SchoolFactory(npsn="10500274", name="MAN 3 Contoh", latitude=Decimal("-1.7"), longitude=Decimal("103.2"))
    return one, two, three


def _post(client, content: bytes, name: str = "koordinat.csv"):
    return client.post(reverse(URL), {"file": SimpleUploadedFile(name, content)})


def _token(response) -> str:
    html = response.content.decode()
    return html.split('name="token" value="')[1].split('"')[0]


GOOD = (
    "\ufeffnpsn ; LINTANG ;Bujur\r\n"  # loose headers, BOM, semicolons, comma decimals
    "10500313;-1,6956;103,2648\r\n"
    "10500327;-1,75;103,15\r\n"
    "10500274;-1,7;103,2\r\n"  # already stored: unchanged
).encode()


def test_a_good_file_previews_old_to_new_then_saves_all_in_one_go(client, supervisor, schools):
    one, two, three = schools
    client.force_login(supervisor)
    preview = _post(client, GOOD)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "3 baris data: 2 sekolah berubah, 1 sudah sama, 0 masalah." in html
    changes = html.split('data-testid="changes"')[1]
    assert "— → <strong>-1,695600</strong>" in changes  # SMAN 1 had no point
    assert "-1,600000 → <strong>-1,750000</strong>" in changes
    School.objects.filter(pk=one.pk).update(address="meanwhile")  # not a coordinate: the import still goes
    saved = client.post(reverse(URL), {"token": _token(preview), "file_name": "koordinat.csv"}, follow=True)
    assert "Koordinat 2 sekolah disimpan." in saved.content.decode()
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.latitude, one.longitude) == (Decimal("-1.695600"), Decimal("103.264800"))
    assert (two.latitude, two.longitude) == (Decimal("-1.750000"), Decimal("103.150000"))
    event = pghistory.models.Events.objects.get(pgh_obj_model="schools.School", pgh_obj_id=two.pk, pgh_label="update")
    assert event.pgh_context["user"] == supervisor.pk
    assert event.pgh_context["coordinates_import"] == "koordinat.csv"

    again = _post(client, GOOD)  # re-doing the same import is safe: nothing to change
    assert "3 baris data: 0 sekolah berubah, 3 sudah sama, 0 masalah." in again.content.decode()
    assert 'name="token"' not in again.content.decode()


def test_comma_delimiter_dot_decimals_and_xlsx_are_read(client, supervisor, schools):
    client.force_login(supervisor)
    csv_file = b'NPSN,Lintang,Bujur\n10500313,-1.6956,103.2648\n10500327,"-1,75","103,15"\n'
    assert "2 sekolah berubah" in _post(client, csv_file).content.decode()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NPSN", "Lintang", "Bujur"])
    sheet.append([10500313, -1.6956, 103.2648])  # numbers, as Excel keeps them
    sheet.append(["10500327", "-1,75", "103,15"])
    data = io.BytesIO()
    book.save(data)
    html = _post(client, data.getvalue(), "koordinat.xlsx").content.decode()
    assert "2 sekolah berubah" in html and "-1,695600" in html


def test_every_kind_of_bad_row_is_named_and_nothing_is_saved(client, supervisor, schools):
    client.force_login(supervisor)
    content = (
        b"NPSN;Lintang;Bujur\n"
        b"10500313;-1,6956;103,2648\n"  # row 2: good, yet not saved (all or nothing)
        b"99999999;-1,7;103,2\n"  # 3 unknown NPSN
        b";-1,7;103,2\n"  # 4 NPSN empty
        b"10500327;;103,2\n"  # 5 Lintang empty
        b"10500274;-1,7;abc\n"  # 6 Bujur not a number
        b"123;-1,7;103,2\n"  # 7 not an NPSN
        b"10500313;-95;103,2\n"  # 8 duplicate NPSN and latitude out of range
        b"\n"  # blank line: skipped
    )
    response = _post(client, content)
    html = response.content.decode()
    problems = html.split('data-testid="problems"')[1].split("</table>")[0]
    expected = [
        ("3", "NPSN", "NPSN 99999999 tidak terdaftar di aplikasi."),
        ("4", "NPSN", "NPSN kosong."),
        ("5", "Lintang", "Lintang kosong."),
        ("6", "Bujur", "Bujur “abc” bukan angka derajat desimal"),
        ("7", "NPSN", "“123” bukan NPSN (8 angka)."),
        ("8", "NPSN", "NPSN 10500313 sudah ada di baris 2."),
        ("8", "Lintang", "Lintang -95 di luar rentang -90 sampai 90."),
    ]
    for row, column, message in expected:
        assert f"<tr><td>{row}</td><td>{column}</td><td>{message}" in problems, (row, message)
    assert 'name="token"' not in html
    assert not School.objects.filter(npsn="10500313", latitude__isnull=False).exists()


def test_unreadable_files_get_one_message(client, supervisor, schools):
    client.force_login(supervisor)
    no_header = _post(client, b"Sekolah;Lat\nx;1\n")
    assert no_header.status_code == 422
    assert "kolom NPSN, Lintang dan Bujur" in no_header.content.decode()
    assert "Berkas kosong." in _post(client, b"   ").content.decode()


def test_points_outside_the_regency_warn_and_need_a_tick(client, supervisor, schools):
    one = schools[0]
    client.force_login(supervisor)
    preview = _post(client, b"NPSN;Lintang;Bujur\n10500313;1,6956;103,2648\n")  # the minus sign lost
    html = preview.content.decode()
    assert 'data-testid="outside-warning"' in html and 'name="warnings_checked"' in html
    token = _token(preview)
    refused = client.post(reverse(URL), {"token": token}, follow=True)
    assert "sudah diperiksa" in refused.content.decode()
    one.refresh_from_db()
    assert one.latitude is None
    client.post(reverse(URL), {"token": token, "warnings_checked": "1"})
    one.refresh_from_db()
    assert one.latitude == Decimal("1.695600")


def test_a_change_between_preview_and_save_writes_nothing(client, supervisor, schools):
    one, two, _three = schools
    client.force_login(supervisor)
    preview = _post(client, GOOD)
    School.objects.filter(pk=two.pk).update(latitude=Decimal("-1.61"))  # someone edited SMKN 2 meanwhile
    response = client.post(reverse(URL), {"token": _token(preview)}, follow=True)
    assert "tidak ada yang disimpan" in response.content.decode()
    one.refresh_from_db()
    assert one.latitude is None  # the other school was not half-saved either


def test_a_tampered_token_is_refused(client, supervisor, schools):
    client.force_login(supervisor)
    token = _token(_post(client, GOOD))
    response = client.post(reverse(URL), {"token": token[:-2] + "xx"}, follow=True)
    assert "kedaluwarsa atau rusak" in response.content.decode()


def test_service_writes_in_one_transaction(supervisor, schools):
    plan = services.school_coordinates_preview(data=GOOD, name="k.csv")
    assert plan.can_commit and len(plan.changes) == 2
    stale = [*plan.changes]
    stale[1] = coordinates.CoordinateChange(**{**stale[1].__dict__, "old_latitude": Decimal("-9")})
    with pytest.raises(services.CoordinatesChanged):
        services.school_coordinates_import(changes=stale, by=supervisor)
    assert not School.objects.filter(npsn="10500313", latitude__isnull=False).exists()  # first one rolled back
    assert services.school_coordinates_import(changes=plan.changes, by=supervisor) == 2


def test_only_supervisors_import_and_the_template_reads_back(client, supervisor, school, schools):
    for user in (OperatorFactory(), SchoolAdminUserFactory(school=school)):
        client.force_login(user)
        assert client.get(reverse(URL)).status_code == 403
        assert client.get(reverse("schools:coordinates_template")).status_code == 403
    client.force_login(supervisor)
    template = client.get(reverse("schools:coordinates_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("text/csv")
    lines = coordinates.read_lines(template.content, "templat.csv")
    assert lines[0] == ["NPSN", "Lintang", "Bujur"]
    plan = coordinates.judge(lines, schools={"10500313": (1, "x", None, None)})
    assert plan.can_commit and plan.changes[0].latitude == Decimal("-1.695600")


def test_reader_refuses_other_files():
    with pytest.raises(UnreadableFile):
        coordinates.read_lines(b"%PDF-1.4 ...", "koordinat.pdf")
