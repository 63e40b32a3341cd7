"""A field sheet filled in and saved again by LibreOffice, WPS or old Excel (.ods, .xls, .xlsb)."""

import io
import shutil
import subprocess
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from recordings.fieldsheet import ROSTER_TITLE, FieldSheetUnreadable, read_field_sheet
from recordings.models import Recording
from tests.factories import visit_with_students
from tests.recordings.test_field_sheet import download, fill, upload

pytestmark = pytest.mark.django_db

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def convert(data: bytes, to: str, tmp_path) -> bytes:
    """Save the sheet again in LibreOffice, as a school would (File → Save as)."""
    source = tmp_path / "lembar.xlsx"
    source.write_bytes(data)
    subprocess.run(  # noqa: S603 - a fixed program on a file the test wrote
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", to, str(source)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (tmp_path / f"lembar.{to}").read_bytes()


@needs_libreoffice
@pytest.mark.parametrize("to", ["ods", "xls"])
def test_sheet_saved_again_by_libreoffice_is_read_like_the_xlsx(client, operator, tmp_path, to):
    visit, students = visit_with_students(students=3)
    client.force_login(operator)
    filled = fill(
        download(client, visit),
        {f"PD-{students[0].pk}": ("Tidak hadir", "sakit"), f"PD-{students[1].pk}": ("Terekam", "")},
    )
    converted = convert(filled, to, tmp_path)
    assert [(r.student_id, r.outcome, r.reason, r.errors) for r in read_field_sheet(converted, visit=visit).rows] == [
        (r.student_id, r.outcome, r.reason, r.errors) for r in read_field_sheet(filled, visit=visit).rows
    ]
    up = upload(client, visit, converted, name=f"lembar.{to}")
    assert (up.status, up.rows_changed, up.rows_error) == ("previewed", 2, 0)
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    outcomes = dict(Recording.objects.filter(visit=visit).values_list("student_id", "outcome"))
    assert outcomes == {students[0].pk: Recording.Outcome.ABSENT, students[1].pk: Recording.Outcome.RECORDED}


@needs_libreoffice
def test_a_formula_in_a_sheet_saved_as_ods_refuses_the_file(client, operator, tmp_path):
    visit, students = visit_with_students(students=2)
    client.force_login(operator)
    workbook = load_workbook(io.BytesIO(download(client, visit)))
    workbook[ROSTER_TITLE]["K5"] = '=CONCAT("sa","kit")'  # the reason column
    buffer = io.BytesIO()
    workbook.save(buffer)
    converted = convert(buffer.getvalue(), "ods", tmp_path)
    with pytest.raises(FieldSheetUnreadable, match="rumus"):
        read_field_sheet(converted, visit=visit)


def test_other_spreadsheet_files_get_the_readers_messages(operator):
    visit, _students = visit_with_students(students=1)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", b" " * (64 * 1024 * 1024))
    with pytest.raises(FieldSheetUnreadable, match="tidak wajar"):
        read_field_sheet(bomb.getvalue(), visit=visit)
    with pytest.raises(FieldSheetUnreadable, match="Simpan sebagai"):
        read_field_sheet(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, visit=visit)
