"""Hostile inputs to the student-list upload, and imports killed halfway (issue 6).

Small files are committed under ``tests/hostile/``; big ones (oversized, zip bomb, long fields) are
generated here. Every case asserts the Indonesian message the user sees and that the database is
unchanged: no student written or changed, no upload left open or committed. A file that cannot be
read leaves one ``failed`` upload record (who tried what, when; no file stored) by design, the
upload history; the form-level refusals (empty, too large) leave no record at all.

Field sheets: the first cases are at the end of this file; the full corpus (files that are not this
visit's sheet, tampered row ids, formulas, control characters, HTML, long notes, sizes, a commit
killed on row N) is in tests/recordings/test_field_sheet_hostile.py.

Offline sync batches and outcome posts (non-finite and huge numbers, ids as lists, objects or
booleans, 1970 tap times, nesting bombs, oversized bodies): tests/recordings/test_sync_hostile.py.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.exports import neutralise
from recordings.models import FieldSheetUpload, Recording
from schools import services
from schools.importing import synthetic
from schools.importing.readers import WEB_MAX_BYTES
from schools.models import LeftProposal, NikConflict, Student, StudentListUpload
from tests.factories import StudentFactory
from tests.faults import Fault, Killed

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "hostile"
WRONG_TYPE = "Jenis berkas tidak didukung"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def existing(school):
    """Two students already on the school's list, so "unchanged" means something."""
    return [StudentFactory(school=school), StudentFactory(school=school)]


def snapshot() -> dict:
    return {
        "students": sorted(Student.objects.values_list("pk", "name", "nik", "school_id", "is_active")),
        "open_or_saved_uploads": StudentListUpload.objects.exclude(status=StudentListUpload.Status.FAILED).count(),
        "conflicts": NikConflict.objects.count(),
        "left": LeftProposal.objects.count(),
    }


def post_file(client, school, data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("schools:upload_new"), {"school": school.pk, "file": upload, "whole_list": "on"})


def assert_refused(client, school, data: bytes, name: str, message: str, *, record: bool = True) -> None:
    before = snapshot()
    failed_before = StudentListUpload.objects.filter(status=StudentListUpload.Status.FAILED).count()
    response = post_file(client, school, data, name)
    assert response.status_code == 422, (name, response.status_code)
    assert message in response.content.decode(), (name, message)
    assert snapshot() == before, name
    failed = StudentListUpload.objects.filter(status=StudentListUpload.Status.FAILED)
    assert failed.count() == failed_before + (1 if record else 0), name
    if record:
        latest = failed.latest("pk")
        assert not latest.file and message in latest.failure_message


def people(count: int = 2) -> list[dict]:
    return synthetic.students(count, today=timezone.localdate(), serial_offset=5000)


# --- files that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gambar_png.xlsx", WRONG_TYPE),  # a PNG renamed .xlsx
        ("program.exe", WRONG_TYPE),
        ("rumus_dan_nul.csv", WRONG_TYPE),  # formula cells and NUL bytes: refused as not a text file
    ],
)
def test_files_of_the_wrong_type_are_refused(client, school, school_admin, existing, name, message):
    client.force_login(school_admin)
    assert_refused(client, school, (CORPUS / name).read_bytes(), name, message)


def test_empty_file_is_refused_by_the_form(client, school, school_admin, existing):
    client.force_login(school_admin)
    assert_refused(client, school, b"", "kosong.csv", "Berkas yang dikirimkan kosong", record=False)
    # Only white space: read as empty.
    assert_refused(client, school, b" \r\n\r\n ", "kosong.csv", "Berkas kosong.")


def test_oversized_file_is_refused(client, school, school_admin, existing):
    client.force_login(school_admin)
    data = synthetic.to_csv(people(1))
    data += b"\n" * (WEB_MAX_BYTES + 1 - len(data))
    assert len(data) == WEB_MAX_BYTES + 1
    assert_refused(client, school, data, "besar.csv", "Berkas terlalu besar", record=False)


def zip_bomb() -> bytes:
    """A well-formed-looking XLSX whose sheet XML unpacks from ~50 KB to 64 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        head = b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        archive.writestr("xl/worksheets/sheet1.xml", head + b" " * (64 * 1024 * 1024) + b"</t></is></c></row>")
    return buffer.getvalue()


def test_xlsx_zip_bomb_is_refused_before_unpacking(client, school, school_admin, existing):
    client.force_login(school_admin)
    data = zip_bomb()
    assert len(data) < 200_000
    assert_refused(client, school, data, "bom.xlsx", "Berkas XLSX tidak wajar")


def sparse_grid_bomb() -> bytes:
    """A valid student list plus one value at column XFD on 20,000 rows: ~150 KB that calamine would
    turn into a 10 GB grid (it allocates every cell between the first and the last)."""
    far = "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(10, 20_010))
    return synthetic.with_sheet_rows(synthetic.template_xlsx(people()), far)


def test_sparse_grid_bomb_is_refused_before_reading(client, school, school_admin, existing):
    client.force_login(school_admin)
    data = sparse_grid_bomb()
    assert len(data) < 300_000
    assert_refused(client, school, data, "jarang.xlsx", "Lembar kerja terisi sampai kolom ke-16.384")


def test_corrupt_xlsx_is_refused(client, school, school_admin, existing):
    client.force_login(school_admin)
    data = synthetic.template_xlsx(people())
    assert_refused(client, school, data[: len(data) // 2], "terpotong.xlsx", "Berkas XLSX rusak")


def _zip_bomb_part(names: dict[str, bytes], bomb_name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in names.items():
            archive.writestr(name, content)
        archive.writestr(bomb_name, b" " * (64 * 1024 * 1024))
    return buffer.getvalue()


SAMPLE = Path(__file__).parent / "fixtures" / "dapodik_daftar_pd_contoh"
FAR_ODS_ROW = (
    '<table:table-row table:number-rows-repeated="5"><table:table-cell table:number-columns-repeated="16384" '
    'office:value-type="float" office:value="1"/></table:table-row>'
)
OTHER_FORMATS = [
    # (file name, bytes, the message shown)
    ("bom.ods", lambda: _zip_bomb_part({"mimetype": synthetic.ODS_MIMETYPE.encode()}, "content.xml"), "tidak wajar"),
    (
        "bom.xlsb",
        lambda: _zip_bomb_part({"[Content_Types].xml": b"<Types/>"}, "xl/worksheets/sheet1.bin"),
        "tidak wajar",
    ),
    ("jauh.xls", lambda: (CORPUS / "sel_jauh.xls").read_bytes(), "lebih dari 20.000 baris"),
    (
        "lebar.ods",
        lambda: synthetic.ods_bytes([list(synthetic.TEMPLATE_HEADERS)], extra_rows_xml=FAR_ODS_ROW),
        "kolom ke-16.384",
    ),
    (
        "lebar.xlsb",
        lambda: synthetic.xlsb_bytes(synthetic.xlsb_sheet_part([(0, 0), (2, 16383)])),
        "kolom ke-16.384",
    ),
    ("rusak.ods", lambda: SAMPLE.with_suffix(".ods").read_bytes()[:20_000], "Simpan sebagai → Excel 2007-365 (.xlsx)"),
    ("rusak.xls", lambda: SAMPLE.with_suffix(".xls").read_bytes()[:30_000], "Simpan sebagai → Excel 2007-365 (.xlsx)"),
    ("rusak.xlsb", lambda: SAMPLE.with_suffix(".xlsb").read_bytes()[:9_000], "Simpan sebagai → Excel 2007-365 (.xlsx)"),
]


@pytest.mark.parametrize(("name", "make", "message"), OTHER_FORMATS, ids=[c[0] for c in OTHER_FORMATS])
def test_bombs_damaged_and_huge_sheets_of_other_formats_are_refused(
    client, school, school_admin, existing, name, make, message
):
    client.force_login(school_admin)
    assert_refused(client, school, make(), name, message)


@pytest.mark.parametrize("suffix", ["ods", "xls", "xlsb"])
def test_dapodik_export_in_other_formats_is_accepted_through_the_form(client, school, school_admin, existing, suffix):
    client.force_login(school_admin)
    response = post_file(client, school, SAMPLE.with_suffix(f".{suffix}").read_bytes(), f"daftar.{suffix}")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    assert (upload.file_format, upload.rows) == ("dapodik", 150)


def test_utf16_text_from_excel_is_read(client, school, school_admin, existing):
    """UTF-16 with a BOM (Excel's "Unicode Text", tab-separated) is read like any CSV, not refused
    as the wrong type for its NUL bytes."""
    client.force_login(school_admin)
    rows = people()
    rows[0]["Nama"] = "Dédé Ñoviantï"
    text = synthetic.to_csv(rows, delimiter="\t", encoding="utf-8").decode("utf-8")
    before = snapshot()
    response = post_file(client, school, text.encode("utf-16"), "daftar-unicode.txt")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    assert upload.new_count == len(rows)
    assert snapshot()["students"] == before["students"]
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    assert Student.objects.filter(school=school, name="Dédé Ñoviantï").exists()


# --- files that can be read, with hostile content ---------------------------------------------


def test_latin1_csv_is_read_with_its_accents(client, school, school_admin, existing):
    client.force_login(school_admin)
    rows = people()
    rows[0]["Nama"] = "Dédé Ñoviantï"
    before = snapshot()
    response = post_file(client, school, synthetic.to_csv(rows, encoding="latin-1"), "daftar-latin1.csv")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    # A preview writes no student; the commit stores the name as written.
    assert snapshot()["students"] == before["students"]
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    assert Student.objects.filter(school=school, name="Dédé Ñoviantï").exists()


def test_formula_cells_are_refused_or_kept_as_plain_text(client, school, school_admin, existing):
    """A formula in the NIK column is an error row (never imported); a formula-looking name is
    kept as text and the exports prefix an apostrophe, so no spreadsheet ever runs it."""
    client.force_login(school_admin)
    before = snapshot()
    response = post_file(client, school, (CORPUS / "rumus.csv").read_bytes(), "rumus.csv")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    page = client.get(reverse("schools:upload_detail", args=[upload.pk])).content.decode()
    assert "NIK hanya boleh berisi angka" in page
    assert snapshot()["students"] == before["students"]
    assert upload.not_imported_count == 1 and upload.new_count == 1
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    formula = "=cmd|' /C calc'!A0"
    stored = Student.objects.get(school=school, name=formula)
    assert not Student.objects.filter(name__startswith="@SUM").exists()
    assert neutralise(stored.name) == "'" + formula


def test_html_and_script_in_names_are_escaped_on_the_preview(client, school, school_admin, existing):
    client.force_login(school_admin)
    response = post_file(client, school, (CORPUS / "html_js.csv").read_bytes(), "html_js.csv")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    preview = client.get(reverse("schools:upload_detail", args=[upload.pk])).content.decode()
    assert "<script>alert(" not in preview and "<img src=x" not in preview
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    page = client.get(reverse("schools:school_students", args=[school.npsn])).content.decode()
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert html.escape("<script>alert('xss')</script>", quote=False) in page.replace("&#x27;", "'")


def test_ten_thousand_character_fields(client, school, school_admin, existing):
    client.force_login(school_admin)
    rows = people(2)
    rows[0]["Nama"] = "A" * 10_000
    rows[1]["Tempat Lahir"] = "B" * 10_000
    before = snapshot()
    response = post_file(client, school, synthetic.to_csv(rows), "panjang.csv")
    assert response.status_code == 302
    upload = StudentListUpload.objects.get(status=StudentListUpload.Status.PREVIEWED)
    page = client.get(reverse("schools:upload_detail", args=[upload.pk])).content.decode()
    assert "Nama terlalu panjang" in page
    assert snapshot()["students"] == before["students"]
    # Committing writes only the acceptable row, and never a 10,000-character value.
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    added = Student.objects.exclude(pk__in=[s.pk for s in existing])
    assert all(len(s.name) <= 200 and len(s.birth_place) <= 100 for s in added)
    assert "A" * 201 not in "".join(Student.objects.values_list("name", flat=True))


def test_student_list_of_another_school_is_not_detected(client, school, other_school, school_admin):
    """The importer does not compare the school named in the Dapodik title rows (the export has no
    NPSN) with the school chosen; a list of another school is judged by its NIKs: students already at
    another school become NIK conflicts for a supervisor, never moved silently."""
    client.force_login(school_admin)
    rows = people(2)
    data = synthetic.to_csv(rows)
    services.student_list_commit(
        upload=services.student_list_upload(school=other_school, data=data, name="b.csv", by=None)[0], by=None
    )
    other_students = sorted(other_school.students.values_list("pk", "nik", "school_id"))
    # The Dapodik download of school B (its name in the title row), uploaded for school A.
    dapodik = synthetic.dapodik_xlsx(rows, school_name=other_school.name.upper())
    response = post_file(client, school, dapodik, "daftar-sekolah-lain.xlsx")
    assert response.status_code == 302
    upload = StudentListUpload.objects.filter(school=school).get()
    assert upload.conflict_count == 2 and upload.new_count == 0
    client.post(reverse("schools:upload_commit", args=[upload.pk]), {"warnings_checked": "1"})  # past any warning
    assert sorted(other_school.students.values_list("pk", "nik", "school_id")) == other_students
    assert not school.students.exists()


# --- killed halfway -------------------------------------------------------------------------


def test_student_list_commit_killed_on_row_n_saves_nothing(school, existing, monkeypatch):
    rows = people(10)
    upload, _preview = services.student_list_upload(school=school, data=synthetic.to_csv(rows), name="a.csv", by=None)
    before = snapshot()
    fault = Fault(monkeypatch, services, "_copy_line_new", n=5)
    with pytest.raises(Killed):
        services.student_list_commit(upload=upload, by=None)
    assert fault.calls == 5
    assert snapshot() == before
    upload.refresh_from_db()
    assert upload.status == StudentListUpload.Status.PREVIEWED and upload.committed_at is None
    # Once the fault is gone the same upload commits whole.
    fault.restore()
    assert services.student_list_commit(upload=upload, by=None).committed
    assert school.students.count() == len(existing) + 10


def test_field_sheet_commit_killed_on_row_n_saves_nothing(operator, monkeypatch):
    from recordings.models import Visit
    from recordings.services import field_sheets as recording_services  # where the commit looks its helpers up
    from tests.factories import visit_with_students

    visit, students = visit_with_students(students=4)
    upload = FieldSheetUpload.objects.create(
        visit=visit,
        original_name="lembar.xlsx",
        status=FieldSheetUpload.Status.PREVIEWED,
        uploaded_by=operator,
        generated_at=timezone.now() - timezone.timedelta(minutes=5),
        rows=[],
    )
    judged = [
        {"student_id": s.pk, "change": "set", "outcome": Recording.Outcome.RECORDED, "reason": ""} for s in students
    ]
    monkeypatch.setattr(recording_services, "_field_sheet_judge", lambda **kwargs: judged)
    monkeypatch.setattr(recording_services, "_count_rows", lambda upload, judged: None)
    fault = Fault(monkeypatch, recording_services, "recording_apply", n=3)
    with pytest.raises(Killed):
        recording_services.field_sheet_commit(upload=upload, by=operator)
    assert fault.calls == 3
    assert not Recording.objects.filter(visit=visit).exists()
    upload.refresh_from_db()
    assert upload.status == FieldSheetUpload.Status.PREVIEWED
    assert Visit.objects.get(pk=visit.pk).status == visit.status


# --- field sheets -----------------------------------------------------------------------------


def field_sheet_bomb(sheet: bytes) -> bytes:
    """A real field sheet with a shared-strings part that unpacks to 300 MB (~300 KB zipped)."""
    source = zipfile.ZipFile(io.BytesIO(sheet))
    out = io.BytesIO()
    sst = (
        b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'count="1" uniqueCount="1"><si><t>' + b"a" * (300 * 1024 * 1024) + b"</t></si></sst>"
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                archive.writestr(info.filename, source.read(info.filename))
        archive.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def test_field_sheet_hostile_files_record_nothing(client, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import visit_with_students

    visit, _students = visit_with_students(students=2)
    client.force_login(operator)
    sheet = client.get(reverse("field_sheet_download", args=[visit.pk])).content
    cases = [
        ("gambar_png.xlsx", (CORPUS / "gambar_png.xlsx").read_bytes(), "tidak bisa dibaca sebagai XLSX"),
        ("bom.xlsx", field_sheet_bomb(sheet), "Berkas XLSX tidak wajar"),
        ("kosong.xlsx", b"", "Berkas yang dikirimkan kosong"),
        ("program.exe", (CORPUS / "program.exe").read_bytes(), "Unggah berkas .xlsx"),
        # The same sheet saved again by LibreOffice, WPS or old Excel: the student-list reader's limits.
        ("bom.ods", _zip_bomb_part({"mimetype": synthetic.ODS_MIMETYPE.encode()}, "content.xml"), "tidak wajar"),
        ("jauh.xls", (CORPUS / "sel_jauh.xls").read_bytes(), "Lembar berisi terlalu banyak baris (maksimal 5.000)"),
        ("rusak.xls", SAMPLE.with_suffix(".xls").read_bytes()[:30_000], "Simpan sebagai → Excel 2007-365 (.xlsx)"),
        ("lebar.xlsb", synthetic.xlsb_bytes(synthetic.xlsb_sheet_part([(0, 0), (2, 16383)])), "kolom ke-16.384"),
        ("daftar.ods", SAMPLE.with_suffix(".ods").read_bytes(), "Ini bukan lembar lapangan aplikasi"),
    ]
    for name, data, message in cases:
        response = client.post(
            reverse("field_sheet_upload", args=[visit.pk]), {"file": SimpleUploadedFile(name, data)}, follow=True
        )
        assert message in response.content.decode(), name
        assert not Recording.objects.exists(), name
        assert not FieldSheetUpload.objects.exclude(status=FieldSheetUpload.Status.FAILED).exists(), name
