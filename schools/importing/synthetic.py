"""Synthetic student lists for tests, benchmarks and demos. Every name and number is made up.

``dapodik_xlsx`` writes the Dapodik 2022 "Daftar Peserta Didik" layout (title lines, header row 5,
a second header row under Data Ayah / Data Ibu / Data Wali, 66 columns, data from row 7) with a
small hand-written XLSX writer, fast enough for 100,000 rows.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import struct
import zipfile
from xml.sax.saxutils import escape

from schools.importing.columns import TEMPLATE_HEADERS

FIRST_NAMES = [
    "Ayu",
    "Rizky",
    "Citra",
    "Dimas",
    "Eka",
    "Fajar",
    "Gita",
    "Hendra",
    "Intan",
    "Joko",
    "Kartika",
    "Lestari",
    "Muhammad",
    "Nur",
    "Putri",
    "Rahmat",
    "Sari",
    "Tri",
    "Wahyu",
    "Yogi",
    "Zahra",
    "Bayu",
    "Dewi",
    "Fitri",
    "Agus",
    "Rina",
    "Siti",
    "Andi",
]
LAST_NAMES = [
    "Pratama",
    "Setiawan",
    "Nasution",
    "Saputra",
    "Wulandari",
    "Hidayat",
    "Siregar",
    "Lubis",
    "Harahap",
    "Kurniawan",
    "Ramadhan",
    "Putra",
    "Sari",
    "Utami",
    "Permata",
    "Wijaya",
    "Santoso",
    "Hakim",
    "Maulana",
    "Syahputra",
]
PLACES = ("Muara Bulian", "Jambi", "Sungai Buluh", "Muara Tembesi", "Bajubang", "Mersam", "Pemayung")
CLASSES = ("X IPA 1", "X IPS 1", "XI IPA 2", "XI IPS 2", "XII IPA 1", "XII IPS 3", "X TKJ 1", "XII TKR 2")
REGIONS = ("150403", "150402", "150401", "157101", "150405")

DAPODIK_HEADERS = (
    "No",
    "Nama",
    "NIPD",
    "JK",
    "NISN",
    "Tempat Lahir",
    "Tanggal Lahir",
    "NIK",
    "Agama",
    "Alamat",
    "RT",
    "RW",
    "Dusun",
    "Kelurahan",
    "Kecamatan",
    "Kode Pos",
    "Jenis Tinggal",
    "Alat Transportasi",
    "Telepon",
    "HP",
    "E-Mail",
    "SKHUN",
    "Penerima KPS",
    "No. KPS",
    "Data Ayah",
    "",
    "",
    "",
    "",
    "",
    "Data Ibu",
    "",
    "",
    "",
    "",
    "",
    "Data Wali",
    "",
    "",
    "",
    "",
    "",
    "Rombel Saat Ini",
    "No Peserta Ujian Nasional",
    "No Seri Ijazah",
    "Penerima KIP",
    "Nomor KIP",
    "Nama di KIP",
    "Nomor KKS",
    "No Registrasi Akta Lahir",
    "Bank",
    "Nomor Rekening Bank",
    "Rekening Atas Nama",
    "Layak PIP (usulan dari sekolah)",
    "Alasan Layak PIP",
    "Kebutuhan Khusus",
    "Sekolah Asal",
    "Anak ke-berapa",
    "Lintang",
    "Bujur",
    "No KK",
    "Berat Badan",
    "Tinggi Badan",
    "Lingkar Kepala",
    "Jml. Saudara\nKandung",
    "Jarak Rumah\nke Sekolah (KM)",
)
PARENT_SUB_HEADERS = ("Nama", "Tahun Lahir", "Jenjang Pendidikan", "Pekerjaan", "Penghasilan", "NIK")


def make_nik(birth_date: datetime.date, gender: str, region: str, serial: int) -> str:
    day = birth_date.day + (40 if gender == "P" else 0)
    return f"{region}{day:02d}{birth_date:%m%y}{serial:04d}"


def students(count: int, *, seed: int = 1, today: datetime.date | None = None, serial_offset: int = 0) -> list[dict]:
    """``count`` valid synthetic students aged 15-18 with unique NIK, No KK and NISN."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    base = today.replace(year=today.year - 19) + datetime.timedelta(days=30)
    result = []
    for index in range(count):
        i = index + serial_offset
        gender = "P" if rng.random() < 0.5 else "L"
        birth_date = base + datetime.timedelta(days=i % 1460)
        serial = i // 1460 + 1
        region = REGIONS[i % len(REGIONS)]
        result.append(
            {
                "Nama": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}",
                "JK": gender,
                "NISN": f"{(7_000_000_000 + i * 7) % 10_000_000_000:010d}",
                "NIPD": str(2300 + i),
                "Tempat Lahir": rng.choice(PLACES),
                "Tanggal Lahir": birth_date,
                "NIK": make_nik(birth_date, gender, region, serial),
                "No KK": f"{region}{(i * 13) % 10_000_000_000:010d}",
                "Rombel Saat Ini": rng.choice(CLASSES),
            }
        )
    return result


def _as_text(value) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


def to_csv(rows: list[dict], *, delimiter: str = ",", encoding: str = "utf-8-sig", headers=TEMPLATE_HEADERS) -> bytes:
    """The app's CSV layout (or any subset of headers), as Excel would save it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_as_text(row.get(h)) for h in headers])
    return buffer.getvalue().encode(encoding)


# --- a minimal XLSX writer ------------------------------------------------------------------


def _col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, datetime.date):
        value = value.isoformat()
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def xlsx_bytes(rows: list[list], *, sheet_name: str = "Sheet1") -> bytes:
    """Write rows (lists of str / int / float / date / None; a None row is blank) as an XLSX file."""
    cols = [_col(i) for i in range(max((len(r) for r in rows if r), default=1))]
    parts = []
    for number, row in enumerate(rows, start=1):
        if not row:
            continue
        cells = "".join(_cell(f"{cols[i]}{number}", v) for i, v in enumerate(row))
        parts.append(f'<row r="{number}">{cells}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(parts)}</sheetData></worksheet>"
    )
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def with_sheet_rows(data: bytes, rows_xml: str) -> bytes:
    """Copy an XLSX, appending raw ``<row>`` XML to its first sheet (for hostile-input tests)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", rows_xml.encode() + b"</sheetData>")
            archive.writestr(info.filename, content)
    return buffer.getvalue()


def dapodik_rows(rows: list[dict], *, school_name: str = "SMA NEGERI CONTOH", numeric_numbers: bool = False) -> list:
    """The Dapodik 2022 layout as a list of sheet rows (row 1 = title)."""
    sheet: list = [
        ["Daftar Peserta Didik"],
        [school_name],
        ["Kecamatan Kec. Muara Bulian, Kabupaten Kab. Batang Hari, Provinsi Prov. Jambi"],
        ["Tanggal Unduh: 2026-08-03 09:14:22    Pengunduh: operator sekolah"],
        list(DAPODIK_HEADERS),
        [""] * 24 + list(PARENT_SUB_HEADERS) * 3,
    ]
    for number, student in enumerate(rows, start=1):
        line = [""] * len(DAPODIK_HEADERS)
        nik, kk = student.get("NIK", ""), student.get("No KK", "")
        if numeric_numbers:
            nik = int(nik) if str(nik).isdigit() else nik
            kk = int(kk) if str(kk).isdigit() else kk
        line[0] = number
        line[1] = student.get("Nama", "")
        line[2] = student.get("NIPD", "")
        line[3] = student.get("JK", "")
        line[4] = student.get("NISN", "")
        line[5] = student.get("Tempat Lahir", "")
        line[6] = student.get("Tanggal Lahir", "")
        line[7] = nik
        line[8] = "Islam"
        line[9] = "Jl. Lintas Timur"
        line[14] = "Muara Bulian"
        line[22] = "Tidak"
        line[24] = "Budi Santoso"  # Data Ayah: Nama
        line[29] = "1504031203750001"  # Data Ayah: NIK (never the student's)
        line[30] = "Siti Aminah"
        line[35] = "1504035507780002"
        line[42] = student.get("Rombel Saat Ini", "")
        line[60] = kk
        sheet.append(line)
    return sheet


def dapodik_xlsx(rows: list[dict], **kwargs) -> bytes:
    return xlsx_bytes(dapodik_rows(rows, **kwargs), sheet_name="Daftar Peserta Didik")


def template_xlsx(rows: list[dict], *, headers=TEMPLATE_HEADERS) -> bytes:
    return xlsx_bytes([list(headers), *[[r.get(h, "") for h in headers] for r in rows]])


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}"/>'
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods_bytes(rows: list[list], *, extra_rows_xml: str = "", sheet_name: str = "Sheet1") -> bytes:
    """Write rows as an OpenDocument spreadsheet, as LibreOffice lays it out (a None row is blank);
    ``extra_rows_xml`` is appended raw after them (tests of repeated rows and cells)."""
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in (row or [None])) + "</table:table-row>" for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet_name)}">'
        f"{body}{extra_rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def _xlsb_record(kind: int, payload: bytes) -> bytes:
    """One XLSB record: type and size as 7-bit variable-length numbers, then the payload."""

    def varint(value: int) -> bytes:
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    return varint(kind) + varint(len(payload)) + payload


def xlsb_sheet_part(cells: list[tuple[int, int]]) -> bytes:
    """An XLSB worksheet part holding a number at each (row, column), 0-based: enough for the
    extent scan, which reads only row headers and cell records."""
    records = []
    for row, column in cells:
        records.append(_xlsb_record(0, struct.pack("<IIBBHBB", row, 0, 0, 0, 0, 0, 0)))  # BrtRowHdr
        records.append(_xlsb_record(5, struct.pack("<IId", column, 0, 1.0)))  # BrtCellReal
    return b"".join(records)


def xlsb_bytes(sheet_part: bytes) -> bytes:
    """A ZIP with the parts of an XLSB workbook around one worksheet part (the workbook part is a
    stub: calamine refuses it, the extent scan reads the worksheet first)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
        archive.writestr("xl/worksheets/sheet1.bin", sheet_part)
    return buffer.getvalue()
