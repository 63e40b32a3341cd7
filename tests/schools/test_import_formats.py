"""Every spreadsheet a school sends: .xls, .xlsb and .ods read like .xlsx, with their own limits."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest

from schools import services
from schools.importing import extents, synthetic
from schools.importing.readers import UnreadableFile, read_table
from schools.importing.rows import RowJudge

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
SAMPLE = FIXTURES / "dapodik_daftar_pd_contoh"
TODAY = datetime.date(2026, 8, 1)
SAVE_AS = "Simpan sebagai → Excel 2007-365 (.xlsx)"


def judged(table):
    rows = RowJudge(nik_regions=frozenset({"150402", "150403"}), today=TODAY).judge(table)
    return [
        (r.number, r.name, r.gender, r.birth_date, r.nik, r.kk, r.nisn, r.nipd, r.class_name, r.problems) for r in rows
    ]


@pytest.mark.parametrize("suffix", ["ods", "xls", "xlsb"])
def test_dapodik_export_saved_in_another_format_reads_like_the_xlsx(suffix):
    xlsx = read_table(SAMPLE.with_suffix(".xlsx").read_bytes(), "daftar.xlsx")
    other = read_table(SAMPLE.with_suffix(f".{suffix}").read_bytes(), f"daftar.{suffix}")
    assert (other.file_format, other.header_row, other.columns, other.title) == (
        xlsx.file_format,
        xlsx.header_row,
        xlsx.columns,
        xlsx.title,
    )
    assert [r.number for r in other.rows] == [r.number for r in xlsx.rows]
    assert judged(other) == judged(xlsx)


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["ods", "xls"])
def test_dapodik_export_converted_by_libreoffice_previews_exactly_like_the_xlsx(settings, tmp_path, school, suffix):
    settings.MEDIA_ROOT = tmp_path
    stored = {}
    for name in ("daftar.xlsx", f"daftar.{suffix}"):
        data = SAMPLE.with_suffix(Path(name).suffix).read_bytes()
        record, preview = services.student_list_upload(school=school, data=data, name=name, by=None)
        assert preview is not None, record.failure_message
        stored[name] = (
            record.file_format,
            record.rows,
            record.new_count,
            record.warning_count,
            record.not_imported_count,
            record.problems,
            record.details["title"],
            record.fingerprint,
        )
    assert stored[f"daftar.{suffix}"] == stored["daftar.xlsx"]


def test_ods_template_list_with_number_cells():
    rows = [
        list(synthetic.TEMPLATE_HEADERS),
        ["Budi", "L", 12345678, None, None, datetime.date(2008, 5, 17), "1504031705080001"],
    ]
    table = read_table(synthetic.ods_bytes(rows), "daftar.ods")
    assert table.file_format == "ods"
    assert table.rows[0].number == 2
    assert table.cell(table.rows[0], "birth_date") == datetime.date(2008, 5, 17)
    assert table.cell(table.rows[0], "nisn") == 12345678.0  # a number cell: the rules restore the zeros


def test_ods_extent_counts_repeated_rows_and_cells_as_calamine_expands_them():
    trailing = (
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    data = synthetic.ods_bytes(
        [["Nama", "JK", "Tanggal Lahir", "NIK"], ["Budi", "L", "2008-05-17", "x"]], extra_rows_xml=trailing
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as stream:
        assert extents.ods_extents(stream) == [(2, 4)]  # empty repeats (LibreOffice's tail) do not count
    assert len(read_table(data, "daftar.ods").rows) == 1


# --- hostile cases, per format -----------------------------------------------------------------


def _ods_far(rows: int, columns: int) -> bytes:
    far = (
        f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="{columns}" office:value-type="float" office:value="1"/>'
        "</table:table-row>"
    )
    return synthetic.ods_bytes([["Nama", "JK", "Tanggal Lahir", "NIK"]], extra_rows_xml=far)


def _ods_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), synthetic.ODS_MIMETYPE)
        archive.writestr(
            "content.xml", "<office:document-content>" + " " * (64 * 1024 * 1024) + "</office:document-content>"
        )
    return buffer.getvalue()


def _xlsb_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x00")
        archive.writestr("xl/worksheets/sheet1.bin", b"\x00" * (64 * 1024 * 1024))
    return buffer.getvalue()


CASES = [
    ("bom.ods", _ods_bomb, "zip_bomb", "tidak wajar"),
    ("bom.xlsb", _xlsb_bomb, "zip_bomb", "tidak wajar"),
    ("lebar.ods", lambda: _ods_far(1, 16384), "too_wide", "16.384"),
    ("panjang.ods", lambda: _ods_far(1_000_000, 2), "too_many_rows", "20.000"),
    ("lebar.xlsb", lambda: synthetic.xlsb_bytes(synthetic.xlsb_sheet_part([(0, 0), (3, 16383)])), "too_wide", "16.384"),
    (
        "panjang.xlsb",
        lambda: synthetic.xlsb_bytes(synthetic.xlsb_sheet_part([(0, 0), (1048575, 1)])),
        "too_many_rows",
        "",
    ),
    ("sel_jauh.xls", lambda: (HOSTILE / "sel_jauh.xls").read_bytes(), "too_many_rows", "20.000"),
    ("rusak.ods", lambda: SAMPLE.with_suffix(".ods").read_bytes()[:20_000], "corrupt", SAVE_AS),
    ("rusak.xlsb", lambda: SAMPLE.with_suffix(".xlsb").read_bytes()[:9_000], "corrupt", SAVE_AS),
    ("rusak.xls", lambda: SAMPLE.with_suffix(".xls").read_bytes()[:30_000], "corrupt", SAVE_AS),
    ("kosong.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "corrupt", SAVE_AS),
    ("stub.xlsb", lambda: synthetic.xlsb_bytes(synthetic.xlsb_sheet_part([(0, 0)])), "corrupt", SAVE_AS),
    ("daftar.numbers", lambda: b"not a zip at all, a Numbers file", "wrong_type", SAVE_AS),
    ("lama.xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "corrupt", SAVE_AS),
]


@pytest.mark.parametrize(("name", "make", "code", "text"), CASES, ids=[c[0] for c in CASES])
def test_hostile_workbooks_get_one_clear_message(name, make, code, text):
    with pytest.raises(UnreadableFile) as error:
        read_table(make(), name)
    assert error.value.code == code, error.value.message
    assert text in error.value.message


def test_xls_extent_is_read_from_the_cell_records_before_calamine():
    stream = extents.xls_workbook_stream((HOSTILE / "sel_jauh.xls").read_bytes())
    assert max(extents.xls_extents(stream)) == (65536, 256)
    stream = extents.xls_workbook_stream(SAMPLE.with_suffix(".xls").read_bytes())
    assert max(extents.xls_extents(stream)) == (156, 66)


def test_ods_extent_scan_does_not_depend_on_where_the_chunks_are_cut():
    class Tiny(io.BytesIO):
        def read(self, size=-1):
            return super().read(997)

    with zipfile.ZipFile(SAMPLE.with_suffix(".ods")) as archive:
        content = archive.read("content.xml")
    assert extents.ods_extents(Tiny(content)) == extents.ods_extents(io.BytesIO(content)) == [(156, 66)]


def test_ods_row_tag_hiding_its_repeat_behind_a_quoted_bracket_is_refused():
    sneaky = (
        '<table:table-row table:style-name="a>b" table:number-rows-repeated="1000000">'
        '<table:table-cell office:value-type="float" office:value="1"/></table:table-row>'
    )
    data = synthetic.ods_bytes([["Nama", "JK", "Tanggal Lahir", "NIK"]], extra_rows_xml=sneaky)
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "licik.ods")
    assert error.value.code == "corrupt"


@pytest.mark.parametrize(
    ("source", "name"), [(".xls", "daftar.xlsx"), (".xlsx", "daftar.xls"), (".ods", "daftar.xlsx")]
)
def test_a_renamed_workbook_is_read_as_what_it_is(source, name):
    table = read_table(SAMPLE.with_suffix(source).read_bytes(), name)
    assert (table.file_format, len(table.rows)) == ("dapodik", 150)
