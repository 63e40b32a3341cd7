"""Read an uploaded file into data rows, each with the spreadsheet row number the user sees.

Accepted: the Dapodik "Daftar Peserta Didik" XLSX as downloaded, the app's own template (XLSX or
CSV), CSV saved by Excel (comma or semicolon, UTF-8 with or without BOM, or Windows-1252), and the
same lists saved by Excel 97-2003 (.xls), WPS (.et), LibreOffice (.ods) or as .xlsb: every workbook
goes through the same header detection and rules, after its own size and extent checks
(``extents``). Everything else raises ``UnreadableFile`` with one message for the user; a
spreadsheet that cannot be read names the menu that saves it as XLSX.

XLSX is read with python-calamine (fast). Calamine returns numbers as 64-bit floats, which are
exact for integers below 2**53 (every NIK starting with 1-8); for larger numeric cells in the
number columns the digits are taken from the sheet's XML text instead, so a 16-digit number is
never rounded by the reader.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree import ElementTree

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.importing import extents
from schools.importing.columns import COLUMN_BY_FIELD, fold_header, is_header, match_header

# Limits (the web form and the command line pass their own row limit).
WEB_MAX_ROWS = 20_000
WEB_MAX_BYTES = 15 * 1024 * 1024
CLI_MAX_BYTES = 500 * 1024 * 1024
# Whole XLSX unpacked. A Dapodik export takes ~3 KB per student unpacked (66 columns, styles), so
# 20,000 rows are ~60 MB: the web limit leaves room for that and stops a small file that would
# unpack to gigabytes; the command line (larger lists) gets the higher one.
WEB_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # a sheet's XML compresses ~10-40 times; a zip bomb far more
MAX_ZIP_ENTRIES = 2_000
# calamine builds a sheet as a dense grid from its first to its last filled cell, so two cells far
# apart (A1 and XFD20000) in a 100 KB file would ask for gigabytes. The sheets' XML is scanned for
# that extent first. Dapodik has 66 columns.
MAX_SHEET_COLUMNS = 300
# Rows x columns of one sheet's grid (~2 GB in calamine at most). The quick scan knows the last row
# and that no cell lies right of column 300; only a sheet of more than 200,000 rows is scanned cell
# by cell for its real width (66 for Dapodik).
MAX_GRID_CELLS = 60_000_000
WEB_EXTRA_ROWS = 1_000  # title lines, headers and blank rows above or between a web upload's rows
HEADER_SEARCH_ROWS = 30
EXACT_FLOAT_LIMIT = 2**53
NUMBER_FIELDS = ("nik", "kk", "nisn")
SUB_HEADER_WORDS = {"nama", "nik", "tahun lahir", "jenjang pendidikan", "pekerjaan", "penghasilan"}


class UnreadableFile(Exception):
    """The file cannot be read at all; ``message`` is shown to the user as is."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class RawRow:
    number: int  # spreadsheet row number (1-based, as Excel shows it)
    values: list  # the row's cells as read (str for CSV; str/float/int/date/bool for XLSX)


@dataclass
class Table:
    file_format: str  # "dapodik" (its layout, whatever the file type), "xlsx", "xlsb", "ods", "xls" or "csv"
    columns: dict[str, int]  # field -> column index
    header_row: int  # spreadsheet row number of the header
    header: list  # header cells as read
    rows: list[RawRow] = field(default_factory=list)
    title: list[str] = field(default_factory=list)  # text above the header (Dapodik: title, school, region)

    @property
    def is_problem_rows_file(self) -> bool:
        """True for the app's own "problem rows" download (a partial list by nature)."""
        return [fold_header(h) for h in self.header[:2]] == ["baris asal", "masalah"]

    def cell(self, row: RawRow, field_name: str):
        index = self.columns.get(field_name)
        if index is None or index >= len(row.values):
            return None
        return row.values[index]


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


FORMAT_NAMES = {"xlsx": "XLSX", "xlsb": "XLSB", "ods": "ODS", "xls": "XLS"}


def _corrupt(kind: str = "xlsx") -> UnreadableFile:
    if kind == "xlsx":
        return UnreadableFile("corrupt", _("Berkas XLSX rusak dan tidak bisa dibuka. Unduh ulang dari Dapodik."))
    return _save_as_xlsx(
        "corrupt", _("Berkas %(format)s rusak atau tidak bisa dibuka.") % {"format": FORMAT_NAMES.get(kind, kind)}
    )


def _header_not_found(sheet_name: str | None = None) -> UnreadableFile:
    required = ", ".join(COLUMN_BY_FIELD[f].label for f in ("name", "gender", "birth_date", "nik"))
    return UnreadableFile(
        "no_header",
        _(
            "Baris judul kolom tidak ditemukan. Berkas harus punya baris judul dengan kolom %(required)s "
            "(seperti unduhan Dapodik atau templat aplikasi)."
        )
        % {"required": required},
    )


def _too_many_rows(limit: int) -> UnreadableFile:
    return UnreadableFile(
        "too_many_rows",
        _(
            "Berkas berisi lebih dari %(limit)s baris data. Bagi berkas menjadi beberapa bagian, "
            "atau minta petugas Dukcapil mengimpornya lewat baris perintah."
        )
        % {"limit": f"{limit:,}".replace(",", ".")},
    )


SPREADSHEET_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xlsb": "xlsb", ".ods": "ods", ".xls": "xls", ".et": "xls"}
SAVE_AS_XLSX = gettext_lazy(
    "Buka berkas di Excel, LibreOffice atau WPS, pilih Simpan sebagai → Excel 2007-365 (.xlsx), lalu unggah lagi."
)


def _save_as_xlsx(code: str, problem: str) -> UnreadableFile:
    """A file of a spreadsheet program the reader cannot use: the message names the menu to use."""
    return UnreadableFile(code, f"{problem} {SAVE_AS_XLSX}")


def _protected() -> UnreadableFile:
    return _save_as_xlsx("protected", _("Berkas Excel ini dilindungi kata sandi. Buka kuncinya dulu."))


def detect_kind(head: bytes, name: str) -> str:
    """Return "xlsx", "xlsb", "ods", "xls" or "csv", or raise UnreadableFile for other types.
    A ZIP workbook's own kind is decided from its parts (``_zip_kind``); here from the name."""
    suffix = PurePath(name or "").suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if b"mimetype" in head[:200] and b"application/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return "ods"
        if suffix in SPREADSHEET_SUFFIXES or suffix == "":  # the parts decide (an XLSX renamed .xls is read)
            return {"xlsb": "xlsb", "ods": "ods"}.get(SPREADSHEET_SUFFIXES.get(suffix, ""), "xlsx")
        raise UnreadableFile(
            "wrong_type",
            _("Jenis berkas tidak didukung (%(suffix)s). Unggah XLSX, XLS, ODS atau CSV.") % {"suffix": suffix},
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and suffix in (".csv", ".txt", ""):
        return "csv"  # UTF-16 text, as Excel's "Unicode Text" saves it (tab-separated)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: Excel 97-2003, WPS .et, or an encrypted XLSX
        if suffix in (".xls", ".et", ".xlt", "", ".xlsx", ".xlsm", ".xlsb"):  # an .xls renamed .xlsx is read too
            return "xls"
        raise UnreadableFile(
            "wrong_type",
            _("Jenis berkas tidak didukung (%(suffix)s). Unggah XLSX, XLS, ODS atau CSV.") % {"suffix": suffix},
        )
    if head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")) or (
        b"\x00" in head[:4096]
    ):
        raise UnreadableFile("wrong_type", _("Jenis berkas tidak didukung. Unggah XLSX (Excel) atau CSV."))
    if suffix in (".csv", ".txt", ""):
        return "csv"
    if suffix in SPREADSHEET_SUFFIXES:
        raise _corrupt(SPREADSHEET_SUFFIXES[suffix])
    if suffix in (".numbers", ".fods", ".xml", ".wps", ".wks", ".123"):
        raise _save_as_xlsx("wrong_type", _("Format %(suffix)s tidak bisa dibaca aplikasi.") % {"suffix": suffix})
    raise UnreadableFile(
        "wrong_type",
        _("Jenis berkas tidak didukung (%(suffix)s). Unggah XLSX, XLS, ODS atau CSV.") % {"suffix": suffix},
    )


def read_table(
    data: bytes,
    name: str,
    *,
    max_rows: int | None = WEB_MAX_ROWS,
    max_bytes: int = WEB_MAX_BYTES,
    max_unpacked: int | None = None,
) -> Table:
    """Read a whole file (bytes) into a Table of data rows; blank rows are skipped.

    ``max_unpacked`` caps an XLSX's unpacked size; by default the web limit when ``max_bytes`` is
    the web's, the command line's otherwise.
    """
    if max_unpacked is None:
        max_unpacked = WEB_MAX_UNPACKED_BYTES if max_bytes <= WEB_MAX_BYTES else MAX_UNCOMPRESSED_BYTES
    if not data or not data.strip():
        raise UnreadableFile("empty", _("Berkas kosong."))
    if len(data) > max_bytes:
        raise UnreadableFile(
            "too_large",
            _("Berkas terlalu besar (%(size)s MB; paling besar %(limit)s MB).")
            % {"size": f"{len(data) / 1048576:.1f}".replace(".", ","), "limit": max_bytes // 1048576},
        )
    kind = detect_kind(data[:8192], name)
    if kind == "csv":
        return _read_csv(data, max_rows=max_rows)
    if kind == "xls":
        return _read_xls(data, max_rows=max_rows)
    archive = _check_zip(data, max_unpacked=max_unpacked, kind=kind)
    kind = _zip_kind(archive, kind)
    if kind == "xlsx":
        return _read_xlsx(data, archive, max_rows=max_rows)
    return _read_zip_workbook(data, archive, kind, max_rows=max_rows)


# --- XLSX -----------------------------------------------------------------------------------


def _check_zip(data: bytes, *, max_unpacked: int = MAX_UNCOMPRESSED_BYTES, kind: str = "xlsx") -> zipfile.ZipFile:
    """Open a ZIP workbook (XLSX, XLSB, ODS) after checking its entries: count, sizes, compression."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _corrupt(kind) from exc
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnreadableFile("zip_bomb", _("Berkas XLSX tidak wajar (terlalu banyak bagian) dan ditolak."))
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise UnreadableFile("zip_bomb", _("Berkas XLSX tidak wajar (isi terlalu padat dimampatkan) dan ditolak."))
    if total > max_unpacked:
        raise UnreadableFile("zip_bomb", _("Berkas XLSX terlalu besar setelah dibuka dan ditolak."))
    names = {info.filename for info in infos}
    is_ods = "content.xml" in names and "mimetype" in names
    if not is_ods and ("[Content_Types].xml" not in names or not any(n.startswith("xl/worksheets/") for n in names)):
        if kind == "xlsx":
            raise UnreadableFile("corrupt", _("Berkas bukan lembar kerja Excel (XLSX) yang sah."))
        raise _save_as_xlsx(
            "corrupt", _("Berkas bukan lembar kerja %(format)s yang sah.") % {"format": FORMAT_NAMES.get(kind, kind)}
        )
    return archive


def _zip_kind(archive: zipfile.ZipFile, guessed: str) -> str:
    """The kind of a checked ZIP workbook from its parts (a renamed file is read as what it is)."""
    names = set(archive.namelist())
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return guessed


_SHEET_TAG = re.compile(rb"<(?:[A-Za-z]+:)?(row|c)\b([^>]*?)(/?)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_WIDE_CELL = re.compile(
    rb'<(?:[A-Za-z]+:)?c\b[^>]*?\br="((?:[A-Z]{3}|[L-Z][A-Z]|K[O-Z]))\d+"[^>]*(?<!/)>'
)  # a non-empty cell right of column KN (300)
_VALUED_CELL_ROW = re.compile(rb'<(?:[A-Za-z]+:)?c\b[^>]*?\br="[A-Z]{1,3}(\d+)"[^>]*(?<!/)>')
# Excel, LibreOffice, openpyxl and Dapodik write every cell as <c r="..." ...>: then plain-prefix
# patterns, which the regular-expression engine finds far faster, are enough.
_WIDE_CELL_PLAIN = re.compile(rb'<c r="((?:[A-Z]{3}|[L-Z][A-Z]|K[O-Z]))\d+"[^>]*(?<!/)>')
_VALUED_CELL_ROW_PLAIN = re.compile(rb'<c r="[A-Z]{1,3}(\d+)"[^>]*(?<!/)>')
_CELL_WITHOUT_REF = re.compile(rb'<(?:[A-Za-z]+:)?c(?=[\s>/])(?![^>]*\br=")')


_whole_tags = extents.whole_tags


def sheet_extent_quick(stream) -> tuple[int, int] | None:
    """Return (last row, a column right of the limit or 0) with whole-chunk regular expressions
    (about 5x faster than ``sheet_extent``), or None when cells lack their reference (``r``), which
    only the cell-by-cell scan can place."""
    last_row = 0
    for buffer in _whole_tags(stream, 1 << 22):
        plain = buffer.count(b'<c r="') == buffer.count(b"<c ") + buffer.count(b"<c>") + buffer.count(b"<c/")
        if plain and b":c " not in buffer and b":c>" not in buffer:
            wide_pattern, row_pattern = _WIDE_CELL_PLAIN, _VALUED_CELL_ROW_PLAIN
        elif _CELL_WITHOUT_REF.search(buffer):
            return None
        else:
            wide_pattern, row_pattern = _WIDE_CELL, _VALUED_CELL_ROW
        wide = wide_pattern.search(buffer)
        if wide:
            return last_row, _column_number(wide.group(1))
        for start in (max(0, len(buffer) - 65536), 0):  # the last filled cell: near the end, as a rule
            found = [match.group(1) for match in row_pattern.finditer(buffer, start)]
            if found:
                last_row = max(last_row, int(found[-1]))
                break
    return last_row, 0


def sheet_extent(stream) -> tuple[int, int]:
    """Return (last row, last column) of a worksheet's non-empty cells from its raw XML, read in
    chunks, cell by cell (no XML parsing). Self-closing cells (a style, no value) do not count, as
    calamine skips them."""
    last_row = last_column = row = column = 0
    for buffer in _whole_tags(stream, 1 << 20):
        for match in _SHEET_TAG.finditer(buffer):
            attributes = match.group(2)
            if match.group(1) == b"row":
                found = _ROW_NUMBER.search(attributes)
                row = int(found.group(1)) if found else row + 1
                column = 0
                continue
            found = _CELL_REF.search(attributes)
            if found:
                column, row_of_cell = _column_number(found.group(1)), int(found.group(2))
                row = row_of_cell or row
            else:
                column += 1
            if not match.group(3):
                last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row, last_column


def _check_sheet_extents(archive: zipfile.ZipFile, *, max_rows: int | None) -> None:
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        try:
            with archive.open(info) as stream:
                quick = sheet_extent_quick(stream)
            if quick is None or (not quick[1] and quick[0] * MAX_SHEET_COLUMNS > MAX_GRID_CELLS):
                with archive.open(info) as stream:  # cells without references, or a very long sheet
                    rows, columns = sheet_extent(stream)
            else:
                rows, columns = quick
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _corrupt() from exc
        _check_extent(rows, columns, max_rows=max_rows)


def _check_extent(rows: int, columns: int, *, max_rows: int | None) -> None:
    """Refuse a sheet whose filled cells reach too far right, too far down, or span too big a grid."""
    if columns > MAX_SHEET_COLUMNS:
        raise UnreadableFile(
            "too_wide",
            _(
                "Lembar kerja terisi sampai kolom ke-%(columns)s (paling banyak %(limit)s). Hapus kolom "
                "kosong atau isian di sebelah kanan tabel, lalu unggah lagi."
            )
            % {"columns": f"{columns:,}".replace(",", "."), "limit": MAX_SHEET_COLUMNS},
        )
    if max_rows is not None and rows > max_rows + WEB_EXTRA_ROWS:
        raise _too_many_rows(max_rows)
    if rows * columns > MAX_GRID_CELLS:
        raise UnreadableFile(
            "too_large",
            _("Lembar kerja terlalu besar (%(rows)s baris × %(columns)s kolom). Bagi berkas menjadi beberapa bagian.")
            % {"rows": f"{rows:,}".replace(",", "."), "columns": columns},
        )


def _open_workbook(data: bytes, kind: str):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several error types for damaged files
        raise _corrupt(kind) from exc


def _first_table(workbook, kind: str, *, max_rows: int | None) -> tuple[Table, int, str]:
    """The first sheet with a header row, as a Table (with its sheet index and name)."""
    try:
        for index, sheet_name in enumerate(workbook.sheet_names):
            try:
                sheet = workbook.get_sheet_by_index(index)
                head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
            except Exception as exc:
                raise _corrupt(kind) from exc
            header_index, columns = _find_header(head)
            if header_index is None:
                continue
            try:
                cells = sheet.to_python(skip_empty_area=False)
            except Exception as exc:
                raise _corrupt(kind) from exc
            table = _build_table(cells, header_index, columns, max_rows=max_rows, file_format=kind)
            if header_index > 0 or len(table.header) > len(columns) + 2:
                table.file_format = "dapodik"
            return table, index, sheet_name
    finally:
        workbook.close()
    raise _header_not_found()


def _read_xlsx(data: bytes, archive: zipfile.ZipFile, *, max_rows: int | None) -> Table:
    _check_sheet_extents(archive, max_rows=max_rows)
    table, index, sheet_name = _first_table(_open_workbook(data, "xlsx"), "xlsx", max_rows=max_rows)
    _fix_large_numbers(table, archive, index, sheet_name)
    return table


def workbook_kind(data: bytes) -> str | None:
    """ "xls", "ods", "xlsb" or "xlsx" from the content of a spreadsheet file, None for anything else."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _zip_kind(archive, "xlsx")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "xlsx"


def check_workbook(data: bytes, kind: str, *, max_rows: int | None) -> bool:
    """The checks an XLS, XLSB or ODS file passes before calamine opens it (ZIP limits, every
    sheet's extent); returns whether any cell holds a formula. Raises UnreadableFile."""
    if kind == "xls":
        try:
            stream = extents.xls_workbook_stream(data)
            found = extents.xls_extents(stream)
        except extents.EncryptedWorkbook as exc:
            raise _protected() from exc
        except Exception as exc:  # olefile raises several error types for damaged containers
            raise _corrupt("xls") from exc
        for rows, columns in found:
            _check_extent(rows, columns, max_rows=max_rows)
        return extents.xls_has_formula(stream)
    archive = _check_zip(data, max_unpacked=WEB_MAX_UNPACKED_BYTES, kind=kind)
    _scan_zip_workbook(archive, kind, max_rows=max_rows)
    try:
        if kind == "ods":
            with archive.open("content.xml") as stream:
                return extents.ods_has_formula(stream)
        return any(extents.xlsb_has_formula(archive.read(name)) for name in _xlsb_sheet_parts(archive))
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _corrupt(kind) from exc


def open_workbook(data: bytes, kind: str):
    """The calamine workbook of a checked file (close it after use)."""
    return _open_workbook(data, kind)


def _xlsb_sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    return [
        name
        for name in archive.namelist()
        if name.startswith("xl/worksheets/") and name.endswith(".bin") and "binaryIndex" not in name
    ]


def _scan_zip_workbook(archive: zipfile.ZipFile, kind: str, *, max_rows: int | None) -> None:
    try:
        if kind == "ods":
            with archive.open("content.xml") as stream:
                found = extents.ods_extents(stream)
        else:
            found = [extents.xlsb_extent(archive.read(name)) for name in _xlsb_sheet_parts(archive)]
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _corrupt(kind) from exc
    for rows, columns in found:
        _check_extent(rows, columns, max_rows=max_rows)


def _read_zip_workbook(data: bytes, archive: zipfile.ZipFile, kind: str, *, max_rows: int | None) -> Table:
    """ODS (content.xml) or XLSB (xl/worksheets/*.bin): every sheet's extent is scanned first."""
    _scan_zip_workbook(archive, kind, max_rows=max_rows)
    table, _index, _name = _first_table(_open_workbook(data, kind), kind, max_rows=max_rows)
    return table


def _read_xls(data: bytes, *, max_rows: int | None) -> Table:
    """Excel 97-2003 (and WPS .et): the Workbook stream's cell records give each sheet's extent
    before calamine builds it (a 5 KB file with two far cells made calamine take 1 GB)."""
    try:
        found = extents.xls_extents(extents.xls_workbook_stream(data))
    except extents.EncryptedWorkbook as exc:
        raise _protected() from exc
    except Exception as exc:  # olefile raises several error types for damaged containers
        raise _corrupt("xls") from exc
    for rows, columns in found:
        _check_extent(rows, columns, max_rows=max_rows)
    table, _index, _name = _first_table(_open_workbook(data, "xls"), "xls", max_rows=max_rows)
    return table


def _find_header(rows: list[list]) -> tuple[int | None, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = match_header(row)
        if is_header(columns):
            return index, columns
    return None, {}


def _is_sub_header(values: list, columns: dict[str, int]) -> bool:
    """The second header row under Data Ayah / Data Ibu / Data Wali: no student data, only sub-titles."""
    if any(index < len(values) and not _is_blank(values[index]) for index in columns.values()):
        return False
    return any(isinstance(v, str) and fold_header(v) in SUB_HEADER_WORDS for v in values)


def _build_table(cells: list[list], header_index: int, columns: dict[str, int], *, max_rows, file_format) -> Table:
    header = list(cells[header_index])
    table = Table(file_format=file_format, columns=columns, header_row=header_index + 1, header=header)
    for line in cells[:header_index]:
        text = " ".join(str(v).strip() for v in line if isinstance(v, str) and v.strip())
        if text:
            table.title.append(text[:200])
    start = header_index + 1
    if start < len(cells) and _is_sub_header(cells[start], columns):
        start += 1
    used = sorted(columns.values(), key=lambda i: i != columns.get("name"))  # Nama first: usually filled
    rows = table.rows
    for offset, values in enumerate(cells[start:], start=start):
        # Blank rows, and rows with nothing in the columns we use (a note, a footer), are skipped.
        width = len(values)
        for index in used:
            if index < width:
                value = values[index]
                if value is not None and (value.__class__ is not str or value.strip()):
                    break
        else:
            continue
        rows.append(RawRow(offset + 1, values))
        if max_rows is not None and len(rows) > max_rows:
            raise _too_many_rows(max_rows)
    return table


_CELL_VALUE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*>(?:<f>[^<]*</f>|<f[^>]*/>)?<v>([^<]*)</v>')


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _sheet_part(archive: zipfile.ZipFile, sheet_index: int, sheet_name: str) -> str | None:
    """Return the zip path of a sheet's XML, following workbook.xml and its relationships."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 (size checked above)
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    except (KeyError, ElementTree.ParseError):
        return None
    target_by_id = {rel.get("Id"): rel.get("Target") for rel in rels.findall("p:Relationship", ns)}
    for sheet in workbook.findall("m:sheets/m:sheet", ns):
        if sheet.get("name") == sheet_name:
            target = target_by_id.get(sheet.get(f"{{{ns['r']}}}id"), "")
            target = target.lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def _fix_large_numbers(table: Table, archive: zipfile.ZipFile, sheet_index: int, sheet_name: str) -> None:
    """Replace numeric cells >= 2**53 in the number columns by the exact integer written in the XML."""
    wanted: dict[tuple[str, int], tuple[RawRow, int]] = {}
    for field_name in NUMBER_FIELDS:
        index = table.columns.get(field_name)
        if index is None:
            continue
        letter = _column_letter(index)
        for row in table.rows:
            value = row.values[index] if index < len(row.values) else None
            if isinstance(value, float) and abs(value) >= EXACT_FLOAT_LIMIT:
                wanted[(letter, row.number)] = (row, index)
    if not wanted:
        return
    part = _sheet_part(archive, sheet_index, sheet_name)
    if part is None:
        return
    xml = archive.read(part)
    letters = {letter for letter, _number in wanted}
    for match in _CELL_VALUE.finditer(xml):
        letter = match.group(1).decode()
        if letter not in letters:
            continue
        key = (letter, int(match.group(2)))
        if key in wanted:
            text = match.group(3).decode().strip()
            if text.isdigit():
                row, index = wanted[key]
                row.values[index] = int(text)


# --- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                "corrupt", _("Berkas teks Unicode (UTF-16) rusak. Simpan ulang sebagai CSV (UTF-8) lalu unggah lagi.")
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the header line best: semicolon, comma or tab."""
    best, best_columns = ",", 0
    for line in lines:
        for delimiter in (";", ",", "\t"):
            try:
                cells = next(csv.reader([line], delimiter=delimiter))
            except (csv.Error, StopIteration):
                continue
            if is_header(match_header(cells)):
                return delimiter
            if len(cells) > best_columns:
                best, best_columns = delimiter, len(cells)
    return best


def _read_csv(data: bytes, *, max_rows: int | None) -> Table:
    text = _decode(data)
    head_lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = _delimiter(head_lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    header_index = None
    columns: dict[str, int] = {}
    try:
        for record in reader:
            records.append(record)
            if header_index is None:
                found = match_header(record)
                if is_header(found):
                    header_index, columns = len(records) - 1, found
                    break
                if len(records) >= HEADER_SEARCH_ROWS:
                    break
        if header_index is None:
            raise _header_not_found()
        records.extend(reader)
    except csv.Error as exc:
        raise UnreadableFile("corrupt", _("Berkas CSV tidak bisa dibaca (%(error)s).") % {"error": exc}) from exc
    return _build_table(records, header_index, columns, max_rows=max_rows, file_format="csv")


def raw_rows_by_number(data: bytes, name: str) -> tuple[Table, dict[int, RawRow]]:
    """Re-read a stored file (no row limit) and index its rows by spreadsheet row number."""
    table = read_table(data, name, max_rows=None, max_bytes=CLI_MAX_BYTES)
    return table, {row.number: row for row in table.rows}
