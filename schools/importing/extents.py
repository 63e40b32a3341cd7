"""How far the filled cells of a sheet reach, read from the raw file before calamine builds the sheet.

calamine builds each sheet as a dense grid from A1 to its last filled cell, so a small file with one
cell far away asks for gigabytes (a 5 KB .xls with cells at A1 and IV65536 took 6.6 s and 1 GB).
These scans read only record headers or tags (no cell values, no XML parsing) and return
``(last row, last column)`` per sheet, 1-based; the reader compares them with its limits.
A damaged file raises ``ValueError``.
"""

from __future__ import annotations

import re
import struct

import olefile


def whole_tags(stream, size: int):
    """Yield a stream's bytes in chunks of about ``size`` that do not cut a tag in two."""
    tail = b""
    while chunk := stream.read(size):
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut == -1 or len(buffer) - cut > 4096:  # no tag, or one too long for a row or a cell
            cut = len(buffer)
        if cut:
            yield buffer[:cut]
        tail = buffer[cut:]
    if tail:
        yield tail


# --- OpenDocument (.ods): content.xml --------------------------------------------------------

_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
_ROW_END = b"</table:table-row>"


def _ods_row_width(content: bytes) -> int:
    """Columns a row's cells reach: every cell counts (repeats as often as they repeat) except the
    empty self-closing ones at the end (LibreOffice closes each row with one for the blank columns)."""
    while content.endswith(b"/>"):
        start = content.rfind(b"<table:")
        tail = content[start:]
        is_cell = tail.startswith((b"<table:table-cell", b"<table:covered-table-cell"))
        if start == -1 or not is_cell or b"office:" in tail:
            break
        content = content[:start]
    if not content:
        return 0
    width = content.count(b"<table:table-cell") + content.count(b"<table:covered-table-cell")
    for repeated in _COLUMNS_REPEATED.findall(content):
        width += int(repeated) - 1
    return width


_TAG_END = (b" ", b">", b"/", b"\n", b"\r", b"\t")


def _ods_pieces(buffer: bytes, end: int):
    """Yield (None, None) where a table starts and (attributes, content) for each row, up to ``end``
    (found with ``bytes.find``: a regular expression over every cell took seconds)."""
    position = 0
    while (start := buffer.find(b"<table:table", position, end)) != -1:
        after = start + len(b"<table:table")
        if buffer[after : after + 1] in _TAG_END:
            yield None, None
            position = after
        elif buffer.startswith(b"-row", after) and buffer[after + 4 : after + 5] in _TAG_END:
            close = buffer.find(b">", after, end)
            if close == -1:
                return
            attributes = buffer[after + 4 : close]
            if attributes.count(b'"') % 2 or attributes.count(b"'") % 2:  # a ">" inside a value: not ours to guess
                raise ValueError("row tag with a '>' inside an attribute")
            if attributes.endswith(b"/"):
                yield attributes, b""
                position = close + 1
                continue
            row_end = buffer.find(_ROW_END, close, end)
            if row_end == -1:
                return
            yield attributes, buffer[close + 1 : row_end]
            position = row_end + len(_ROW_END)
        else:  # a column, a header-rows group, …
            position = after


def ods_extents(stream) -> list[tuple[int, int]]:
    """Extent of each table of an ODS ``content.xml``, row by row (C-speed finds and counts within
    each row). Repeated rows and cells count as often as they repeat (calamine
    expands them); empty rows and a row's empty tail do not count."""
    extents: list[tuple[int, int]] = []
    open_table = False
    last_row = last_column = row = 0
    tail = b""
    while True:
        chunk = stream.read(1 << 22)
        buffer = tail + chunk
        if chunk:
            cut = buffer.rfind(_ROW_END)
            if cut == -1:  # no whole row yet
                tail = buffer
                continue
            cut += len(_ROW_END)
        else:
            cut = len(buffer)
        for attributes, content in _ods_pieces(buffer, cut):
            if attributes is None:  # a table starts
                if open_table:
                    extents.append((last_row, last_column))
                open_table, last_row, last_column, row = True, 0, 0, 0
                continue
            found = _ROWS_REPEATED.search(attributes)
            repeat = int(found.group(1)) if found else 1
            width = _ods_row_width(content)
            if width:
                last_row, last_column = row + repeat, max(last_column, width)
            row += repeat
        tail = buffer[cut:]
        if not chunk:
            break
    if open_table:
        extents.append((last_row, last_column))
    return extents


# --- Excel binary workbook (.xlsb): xl/worksheets/*.bin ---------------------------------------

_BRT_ROW_HDR = 0
_BRT_CELLS = frozenset(range(2, 12))  # RK, error, bool, real, string, shared string, the four formula kinds


def _read_varint(data: bytes, position: int, limit: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(limit):
        if position >= len(data):
            raise ValueError("record header cut off")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, position


def xlsb_extent(data: bytes) -> tuple[int, int]:
    """Extent of one XLSB worksheet part from its records: each row header gives the row, each
    filled cell its column (blank cells, which calamine skips, do not count)."""
    last_row = last_column = 0
    row = -1
    position = 0
    size = len(data)
    while position < size:
        kind, position = _read_varint(data, position, 2)
        length, position = _read_varint(data, position, 4)
        end = position + length
        if end > size:
            raise ValueError("record cut off")
        if kind == _BRT_ROW_HDR and length >= 4:
            row = struct.unpack_from("<I", data, position)[0]
        elif kind in _BRT_CELLS and length >= 4 and row >= 0:
            column = struct.unpack_from("<I", data, position)[0]
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        position = end
    return last_row, last_column


# --- Excel 97-2003 (.xls, WPS .et): the BIFF8 Workbook stream ------------------------------------

_BIFF_BOF, _BIFF_EOF = 0x0809, 0x000A
_BIFF_CELLS = frozenset({0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})  # formula, number, label, …
_BIFF_MULRK = 0x00BD
_TWO_WORDS = struct.Struct("<HH")


class EncryptedWorkbook(ValueError):
    """An OLE2 file holding an encrypted XLSX (a workbook saved with a password)."""


def xls_workbook_stream(data: bytes) -> bytes:
    """The Workbook (BIFF8) or Book (BIFF5) stream of an OLE2 file."""
    if not olefile.isOleFile(data):
        raise ValueError("not an OLE2 file")
    with olefile.OleFileIO(data) as ole:
        for name in ("Workbook", "Book"):
            if ole.exists(name):
                return ole.openstream(name).read()
        if ole.exists("EncryptedPackage"):
            raise EncryptedWorkbook("password-protected workbook")
    raise ValueError("no workbook stream")


def xls_extents(stream: bytes) -> list[tuple[int, int]]:
    """Extent of each worksheet of a BIFF stream from its cell records (row and column are the first
    two 16-bit numbers of each; MULRK spans to the column at its end)."""
    extents: list[tuple[int, int]] = []
    depth = 0
    last_row = last_column = 0
    position, size = 0, len(stream)
    pair = _TWO_WORDS.unpack_from  # one bound method: this loop runs once per cell
    cells = _BIFF_CELLS
    while position + 4 <= size:
        kind, length = pair(stream, position)
        position += 4
        end = position + length
        if kind in cells:
            if length >= 4:
                row, column = pair(stream, position)
                if row >= last_row:
                    last_row = row + 1
                if column >= last_column:
                    last_column = column + 1
        elif kind == _BIFF_MULRK and length >= 6:
            row = pair(stream, position)[0]
            column = pair(stream, end - 4)[1]
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
        elif kind == _BIFF_BOF:
            if depth == 0:  # a new substream: the globals, then one per sheet (charts nest inside)
                last_row = last_column = 0
            depth += 1
        elif kind == _BIFF_EOF and depth:
            depth -= 1
            if depth == 0:
                extents.append((last_row, last_column))
        position = end
    if position > size:
        raise ValueError("record cut off")
    return extents


# --- formulas (the field sheet takes no formula, and calamine gives only their cached results) ----

_ODS_FORMULA = re.compile(rb"<table:(?:covered-)?table-cell\b[^>]*\btable:formula=")
_BRT_FORMULAS = frozenset({8, 9, 10, 11})
_BIFF_FORMULAS = frozenset({0x0006, 0x04BC, 0x0221})  # FORMULA, SHRFMLA, ARRAY


def ods_has_formula(stream) -> bool:
    return any(_ODS_FORMULA.search(buffer) for buffer in whole_tags(stream, 1 << 20))


def xlsb_has_formula(data: bytes) -> bool:
    position, size = 0, len(data)
    while position < size:
        kind, position = _read_varint(data, position, 2)
        length, position = _read_varint(data, position, 4)
        if kind in _BRT_FORMULAS:
            return True
        position += length
    return False


def xls_has_formula(stream: bytes) -> bool:
    position, size = 0, len(stream)
    while position + 4 <= size:
        kind, length = struct.unpack_from("<HH", stream, position)
        if kind in _BIFF_FORMULAS:
            return True
        position += 4 + length
    return False
