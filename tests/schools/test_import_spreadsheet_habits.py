"""What LibreOffice, WPS and old Excel do to a list: two-digit years, month names, number cells."""

import datetime

import pytest

from schools.importing.readers import RawRow, Table
from schools.importing.rows import ERROR, WARNING, RowJudge

TODAY = datetime.date(2026, 8, 1)
REFERENCE = datetime.date(2026, 12, 31)
REGIONS = frozenset({"150403"})
FIELDS = ("name", "gender", "nisn", "nipd", "birth_place", "birth_date", "nik", "kk", "class_name")
GOOD = {
    "name": "Budi Santoso",
    "gender": "L",
    "nisn": "0087204075",
    "nipd": "2300",
    "birth_place": "Muara Bulian",
    "birth_date": "2009-01-05",
    "nik": "1504030501090001",
    "kk": "1504030101100001",
    "class_name": "XI IPA 1",
}


def judge(*rows: dict):
    table = Table(file_format="csv", columns={f: i for i, f in enumerate(FIELDS)}, header_row=1, header=list(FIELDS))
    for number, values in enumerate(rows, start=2):
        merged = {**GOOD, **values}
        table.rows.append(RawRow(number, [merged[f] for f in FIELDS]))
    return RowJudge(nik_regions=REGIONS, today=TODAY, reference_date=REFERENCE).judge(table)


def problems(row, code):
    return [p for p in row.problems if p.code == code]


@pytest.mark.parametrize("written", ["05/01/09", "5/1/09", "05-01-09", "05.01.09", "5-Jan-09", "05 Jan 09"])
def test_two_digit_years_are_read_as_20yy_with_a_warning_showing_the_date(written):
    (row,) = judge({"birth_date": written})
    assert row.birth_date == datetime.date(2009, 1, 5)
    assert not row.has_error
    (warning,) = problems(row, "birth_date_two_digit_year")
    assert warning.severity == WARNING
    assert "dibaca 05-01-2009" in warning.message and written in warning.message
    assert not problems(row, "nik_birth_date_mismatch")  # the NIK's 050109 agrees with the date read


@pytest.mark.parametrize(("written", "years"), [("05/01/30", ("2030", "1930")), ("05/01/85", ("2085", "1985"))])
def test_a_two_digit_year_that_gives_no_student_age_is_an_error_naming_the_ambiguity(written, years):
    (row,) = judge({"birth_date": written})
    assert row.has_error and row.birth_date is None
    (error,) = problems(row, "birth_date_two_digit_year")
    assert error.severity == ERROR
    assert all(year in error.message for year in years)
    assert "empat angka" in error.message


def test_two_digit_year_follows_the_reference_date():
    """Born 1 Jan 2001: 25 on 31 Dec 2026 (accepted); 2000-born would be 26 (refused)."""
    (ok, too_old) = judge({"birth_date": "01/01/01", "nik": ""}, {"birth_date": "31/12/00", "nik": ""})
    assert ok.birth_date == datetime.date(2001, 1, 1)
    assert too_old.has_error


def test_impossible_two_digit_date_is_invalid():
    (row,) = judge({"birth_date": "31/02/09"})
    assert [p.code for p in row.problems if p.severity == ERROR] == ["birth_date_invalid"]


@pytest.mark.parametrize(
    "written",
    ["5 Jan 2009", "05 Januari 2009", "5 January 2009", "05-Jan-2009", "5 jan. 2009", "05 JANUARI 2009", "5.Jan.2009"],
)
def test_month_names_in_indonesian_and_english(written):
    (row,) = judge({"birth_date": written})
    assert row.birth_date == datetime.date(2009, 1, 5)
    assert not row.problems


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("5 May 2009", 5),
        ("5 Mei 2009", 5),
        ("5 Oct 2009", 10),
        ("5 Okt 2009", 10),
        ("5 Aug 2009", 8),
        ("5 Dec 2009", 12),
    ],
)
def test_months_that_differ_between_the_languages(written, month):
    (row,) = judge({"birth_date": written, "nik": ""})
    assert row.birth_date == datetime.date(2009, month, 5)


def test_unreadable_date_message_lists_the_short_forms():
    (row,) = judge({"birth_date": "tgl 5 bln 1"})
    (error,) = problems(row, "birth_date_format")
    assert "13/09/08" in error.message and "13 Sep 2008" in error.message


# --- number cells ------------------------------------------------------------------------------


def test_no_kk_from_a_number_cell_ending_in_0_gets_the_rounding_warning():
    (row,) = judge({"kk": 1504030101100000.0})
    assert row.kk == "1504030101100000" and not row.has_error
    (warning,) = problems(row, "kk_excel_rounded")
    assert warning.severity == WARNING
    assert "Excel/LibreOffice/WPS mungkin telah membulatkannya" in warning.message


def test_no_kk_as_text_or_not_ending_in_0_has_no_rounding_warning():
    text, number = judge({"kk": "1504030101100000"}, {"kk": 1504030101100001})
    assert not problems(text, "kk_excel_rounded") and not problems(number, "kk_excel_rounded")


def test_nik_rounding_warning_names_every_spreadsheet_program():
    (row,) = judge({"nik": 1504030501090010.0})
    (warning,) = problems(row, "nik_excel_rounded")
    assert "Excel/LibreOffice/WPS mungkin telah membulatkannya" in warning.message


def test_nisn_from_a_number_cell_gets_its_zeros_back():
    (row,) = judge({"nisn": 87204075.0})
    assert row.nisn == "0087204075"
    (warning,) = problems(row, "nisn_zeros_restored")
    assert warning.severity == WARNING and "0087204075" in warning.message


def test_short_nisn_text_is_restored_when_the_column_is_of_ten_digits():
    """A CSV saved from a number column: the NISNs that began with 0 are shorter, the others 10 digits."""
    short, *others = judge({"nisn": "87204075"}, {"nisn": "1087204075"}, {"nisn": "1187204075"})
    assert short.nisn == "0087204075" and problems(short, "nisn_zeros_restored")
    assert [o.nisn for o in others] == ["1087204075", "1187204075"]


def test_short_nisn_text_in_a_column_of_short_values_is_not_guessed():
    rows = judge({"nisn": "87204075"}, {"nisn": "7204075"}, {"nisn": "1187204075"})
    assert [r.nisn for r in rows[:2]] == ["", ""]
    assert all(problems(r, "nisn_invalid") for r in rows[:2])
