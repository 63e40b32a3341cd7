"""Spreadsheet exports of progress figures and follow-up lists: the app's one writer
(``ektp_drives.spreadsheets``), named here for the recordings views."""

from ektp_drives.spreadsheets import (  # noqa: F401 - re-exported
    DANGEROUS_PREFIXES,
    DATE,
    DATETIME,
    DECIMAL,
    FORMATS,
    IDENTITY,
    INT,
    TEXT,
    XLSX_TYPE,
    Column,
    csv_response,
    export_response,
    neutralise,
    safe_filename,
    xlsx_response,
)
