"""Reading files into rows: formats, header detection, row numbers, exact numbers, bad files."""

import datetime
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from schools.importing import synthetic
from schools.importing.readers import UnreadableFile, read_table

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "dapodik_daftar_pd_contoh.xlsx"
TODAY = datetime.date(2026, 8, 1)


def test_dapodik_sample_header_found_by_content():
    table = read_table(SAMPLE.read_bytes(), "daftar.xlsx")
    assert table.file_format == "dapodik"
    assert table.header_row == 5
    assert len(table.rows) == 150
    first = table.rows[0]
    assert first.number == 7  # the second header row (row 6) is skipped
    assert table.cell(first, "name") == "Ayu Pratama"
    # The student's NIK is column H, never a parent's NIK under Data Ayah / Ibu / Wali.
    assert table.columns["nik"] == 7
    assert table.columns["kk"] == 60
    assert table.columns["class_name"] == 42


def test_other_dapodik_version_fewer_columns_other_order():
    rows = [
        ["Daftar Peserta Didik"],
        ["SMA CONTOH"],
        None,
        ["No", "NISN", "Nama Peserta Didik", "NIK", "Jenis  Kelamin", "Tanggal\nLahir", "No. KK", "Rombel"],
        [1, "0012345678", "Budi", "1504031705080001", "L", "2008-05-17", "1504031000000001", "XII IPA 1"],
    ]
    table = read_table(synthetic.xlsx_bytes(rows), "lama.xlsx")
    assert table.header_row == 4
    assert table.rows[0].number == 5
    assert table.cell(table.rows[0], "name") == "Budi"
    assert table.cell(table.rows[0], "gender") == "L"
    assert table.cell(table.rows[0], "kk") == "1504031000000001"


def test_blank_rows_skipped_and_row_numbers_kept():
    rows = [list(synthetic.TEMPLATE_HEADERS), ["A", "L"], None, ["", ""], ["B", "P"]]
    table = read_table(synthetic.xlsx_bytes(rows), "t.xlsx")
    assert [r.number for r in table.rows] == [2, 5]
    assert table.file_format == "xlsx"


def test_numeric_nik_cells_read_exactly_even_above_2_pow_53():
    nik_low = 1504031705080001  # below 2**53: exact as a float
    nik_high = 9171234567890123  # above 2**53: a float would give ...124
    rows = [list(synthetic.TEMPLATE_HEADERS)]
    rows.append(["A", "L", None, None, None, "2008-05-17", nik_low, None, None])
    rows.append(["B", "L", None, None, None, "2008-05-17", nik_high, None, None])
    table = read_table(synthetic.xlsx_bytes(rows), "t.xlsx")
    values = [table.cell(r, "nik") for r in table.rows]
    assert int(values[0]) == nik_low
    assert values[1] == nik_high and isinstance(values[1], int)


@pytest.mark.parametrize(
    "encoding,delimiter",
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8-sig", ",")],
)
def test_csv_encodings_and_delimiters(encoding, delimiter):
    students = synthetic.students(3, today=TODAY)
    students[0]["Nama"] = "Zoë Nasution"
    data = synthetic.to_csv(students, delimiter=delimiter, encoding=encoding)
    table = read_table(data, "daftar.csv")
    assert table.file_format == "csv"
    assert len(table.rows) == 3
    assert table.cell(table.rows[0], "name") == "Zoë Nasution"
    assert table.rows[0].number == 2


def test_csv_any_subset_of_headers_in_any_order():
    data = b"NIK;Tanggal Lahir;nama;JK\r\n1504031705080001;17/05/2008;Budi;L\r\n"
    table = read_table(data, "x.csv")
    assert table.cell(table.rows[0], "name") == "Budi"
    assert "kk" not in table.columns


def test_csv_quoted_line_break_counts_as_one_spreadsheet_row():
    data = b'Nama,JK,Tanggal Lahir,NIK\r\n"Budi\nSantoso",L,2008-05-17,\r\nSiti,P,2008-05-17,\r\n'
    table = read_table(data, "x.csv")
    assert [r.number for r in table.rows] == [2, 3]


@pytest.mark.parametrize(
    "data,name,code",
    [
        (b"", "x.csv", "empty"),
        (b"   \r\n", "x.csv", "empty"),
        (b"%PDF-1.4 ...", "x.pdf", "wrong_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.xls", "corrupt"),
        (b"hello,world\r\n1,2\r\n", "x.csv", "no_header"),
        (b"PK\x03\x04garbage", "x.xlsx", "corrupt"),
        (b"Nama,JK\r\n", "x.docx", "wrong_type"),
    ],
)
def test_unreadable_files_get_one_message(data, name, code):
    with pytest.raises(UnreadableFile) as error:
        read_table(data, name)
    assert error.value.code == code
    assert error.value.message


def test_zip_without_sheet_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(UnreadableFile) as error:
        read_table(buffer.getvalue(), "x.xlsx")
    assert error.value.code == "corrupt"


def test_zip_bomb_rejected_before_reading():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>")
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "bom.xlsx")
    assert error.value.code == "zip_bomb"


def test_truncated_xlsx_is_corrupt():
    data = synthetic.dapodik_xlsx(synthetic.students(50, today=TODAY))
    with pytest.raises(UnreadableFile) as error:
        read_table(data[: len(data) // 2], "cut.xlsx")
    assert error.value.code == "corrupt"


def test_size_limit():
    with pytest.raises(UnreadableFile) as error:
        read_table(b"Nama,JK,Tanggal Lahir,NIK\r\n" + b"x" * 2000, "x.csv", max_bytes=1000)
    assert error.value.code == "too_large"


def test_row_limit_for_web_uploads():
    data = synthetic.to_csv(synthetic.students(30, today=TODAY))
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "x.csv", max_rows=20)
    assert error.value.code == "too_many_rows"
    assert read_table(data, "x.csv", max_rows=None).rows[-1].number == 31


def test_openpyxl_written_workbook_with_date_cells():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Nama", "JK", "Tanggal Lahir", "NIK"])
    sheet.append(["Budi", "L", datetime.date(2008, 5, 17), "1504031705080001"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "x.xlsx")
    assert table.cell(table.rows[0], "birth_date") in (datetime.date(2008, 5, 17), datetime.datetime(2008, 5, 17))


def test_excel_unicode_text_utf16_is_read():
    """Excel's "Unicode Text" is UTF-16 with a BOM, tab-separated: read it, not "wrong type"."""
    rows = synthetic.students(3, today=TODAY)
    text = synthetic.to_csv(rows, delimiter="\t", encoding="utf-8").decode("utf-8")
    table = read_table(text.encode("utf-16"), "daftar.txt")
    assert [table.cell(row, "name") for row in table.rows] == [row["Nama"] for row in rows]
    assert table.cell(table.rows[0], "nik") == rows[0]["NIK"]


def test_broken_utf16_gets_its_own_message():
    with pytest.raises(UnreadableFile) as error:
        read_table(b"\xff\xfeN\x00a\x00\x00\xd8", "x.csv")  # a lone surrogate: not UTF-16
    assert error.value.code == "corrupt" and "UTF-16" in error.value.message


def test_web_uploads_have_a_lower_unpacked_limit(monkeypatch):
    """A web upload may unpack to far less than a command-line import (both refuse bombs)."""
    import random

    from schools.importing import readers

    monkeypatch.setattr(readers, "WEB_MAX_UNPACKED_BYTES", 1024 * 1024)
    rng = random.Random(3)
    cells = "".join(f"<c><v>{rng.randrange(10**9)}</v></c>" for _ in range(100_000))  # ~2 MB, ratio < 10
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        sheet = f"<worksheet><sheetData><row>{cells}</row></sheetData></worksheet>"
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    data = buffer.getvalue()
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "besar.xlsx")
    assert error.value.code == "zip_bomb"
    with pytest.raises(UnreadableFile) as error:  # the command line's limit lets it through to the reader
        read_table(data, "besar.xlsx", max_rows=None, max_bytes=readers.CLI_MAX_BYTES)
    assert error.value.code != "zip_bomb"


def _small_list() -> bytes:
    return synthetic.xlsx_bytes(
        [["Nama", "JK", "Tanggal Lahir", "NIK"], ["Budi", "L", "2008-05-17", "1504031705080001"]]
    )


def test_sparse_sheet_that_would_ask_for_gigabytes_is_refused_first():
    """A1 plus XFD on 20,000 rows: a 150 KB file calamine would turn into a 10 GB grid."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="XFD{r}"><v>1</v></c></row>' for r in range(3, 20_003))
    data = synthetic.with_sheet_rows(_small_list(), rows)
    assert len(data) < 300_000
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "jarang.xlsx")
    assert error.value.code == "too_wide" and "16.384" in error.value.message


def test_row_of_cells_without_references_is_measured_too():
    cells = "<c><v>1</v></c>" * 5_000
    data = synthetic.with_sheet_rows(_small_list(), f"<row>{cells}</row>")
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "lebar.xlsx")
    assert error.value.code == "too_wide" and "5.000" in error.value.message


def test_styled_empty_cells_far_away_do_not_count():
    """Excel leaves styled empty cells (self-closing) right of and below a list: not data."""
    rows = "".join(f'<row r="{r}"><c r="XFD{r}" s="0"/></row>' for r in range(3, 50))
    table = read_table(synthetic.with_sheet_rows(_small_list(), rows), "gaya.xlsx")
    assert [row.number for row in table.rows] == [2]


def test_a_value_far_below_the_web_limit_is_refused_before_reading():
    data = synthetic.with_sheet_rows(_small_list(), '<row r="900000"><c r="A900000"><v>1</v></c></row>')
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "jauh.xlsx")
    assert error.value.code == "too_many_rows"


@pytest.mark.parametrize("chunked", [False, True])
def test_quick_and_full_extent_scans_agree(chunked, monkeypatch):
    from schools.importing import readers

    data = synthetic.dapodik_xlsx(synthetic.students(300, today=TODAY))
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    class Stream(io.BytesIO):
        def read(self, size=-1):  # tiny chunks: tags cut across reads
            return super().read(997 if chunked else size)

    rows, columns = readers.sheet_extent(Stream(xml))
    assert (rows, columns) == (len(synthetic.dapodik_rows(synthetic.students(300, today=TODAY))), 66)
    assert readers.sheet_extent_quick(Stream(xml)) == (rows, 0)


def test_wide_cell_found_when_the_reference_is_not_the_first_attribute():
    """Some writers put the style before the reference: the general scan still places the cell."""
    data = synthetic.with_sheet_rows(_small_list(), '<row r="5"><c s="0" r="XFD5"><v>1</v></c></row>')
    with pytest.raises(UnreadableFile) as error:
        read_table(data, "gaya-dulu.xlsx")
    assert error.value.code == "too_wide"


@pytest.mark.parametrize("scan", ["sheet_extent", "sheet_extent_quick"])
def test_extent_scans_read_the_last_tag_of_the_stream(scan):
    """A sheet cut off right after a cell tag: the tag after the last chunk boundary still counts."""
    from schools.importing import readers

    xml = b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="9"><c r="XFD9">'
    rows, columns = getattr(readers, scan)(io.BytesIO(xml))
    assert columns == 16384  # the quick scan stops at the first cell past the limit
    assert rows == (9 if scan == "sheet_extent" else 1)
