"""Normalisation and the row rules (errors and warnings), one case per rule."""

import datetime

import pytest

from schools.importing.readers import RawRow, Table
from schools.importing.rows import RowJudge, clean_number, clean_text, parse_date, parse_gender

TODAY = datetime.date(2026, 8, 1)
REGIONS = frozenset({"150403", "150402", "157101"})
HEADERS = ("Nama", "JK", "NISN", "NIPD", "Tempat Lahir", "Tanggal Lahir", "NIK", "No KK", "Rombel Saat Ini")
FIELDS = ("name", "gender", "nisn", "nipd", "birth_place", "birth_date", "nik", "kk", "class_name")
GOOD = {
    "name": "Budi Santoso",
    "gender": "L",
    "nisn": "0087204075",
    "nipd": "2300",
    "birth_place": "Muara Bulian",
    "birth_date": "2009-05-17",
    "nik": "1504031705090001",
    "kk": "1504030101100001",
    "class_name": "XI IPA 1",
}


def judge(*rows: dict):
    table = Table(file_format="csv", columns={f: i for i, f in enumerate(FIELDS)}, header_row=1, header=list(HEADERS))
    for number, values in enumerate(rows, start=2):
        merged = {**GOOD, **values}
        table.rows.append(RawRow(number, [merged[f] for f in FIELDS]))
    return RowJudge(nik_regions=REGIONS, today=TODAY).judge(table)


def codes(row, severity=None):
    return [p.code for p in row.problems if severity is None or p.severity == severity]


def test_clean_row_has_no_problems():
    (row,) = judge({})
    assert row.problems == []
    assert (row.name, row.gender, row.birth_date, row.nik, row.kk, row.nisn) == (
        "Budi Santoso",
        "L",
        datetime.date(2009, 5, 17),
        "1504031705090001",
        "1504030101100001",
        "0087204075",
    )


def test_text_trimmed_and_spaces_folded():
    (row,) = judge({"name": "  Budi   Santoso\u00a0 ", "class_name": "XI  IPA\t1"})
    assert row.name == "Budi Santoso"
    assert row.class_name == "XI IPA 1"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("1504.0317.0509.0001", "1504031705090001"),
        ("1504-0317-0509-0001", "1504031705090001"),
        (" 1504 0317 0509 0001 ", "1504031705090001"),
        ("'1504031705090001", "1504031705090001"),
        ("\u200b1504031705090001\ufeff", "1504031705090001"),
        (1504031705090001.0, "1504031705090001"),
        (1504031705090001, "1504031705090001"),
    ],
)
def test_numbers_cleaned(raw, expected):
    assert clean_number(raw)[0] == expected


def test_numeric_cell_never_gives_scientific_or_dot_zero():
    digits, _kind = clean_number(1.50403170509e15)
    assert digits == "1504031705090000"
    assert "e" not in digits.lower() and not digits.endswith(".0")
    assert clean_text(2300.0) == "2300"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("L", "L"),
        ("p", "P"),
        ("Laki-laki", "L"),
        ("PEREMPUAN", "P"),
        ("", ""),
        ("X", None),
    ],
)
def test_gender(raw, expected):
    assert parse_gender(raw) == expected


@pytest.mark.parametrize(
    "raw,expected",
    [
        (datetime.date(2009, 5, 17), datetime.date(2009, 5, 17)),
        (datetime.datetime(2009, 5, 17, 0, 0), datetime.date(2009, 5, 17)),
        (39950.0, datetime.date(2009, 5, 17)),  # an Excel serial without a date format
        ("2009-05-17", datetime.date(2009, 5, 17)),
        ("2009-05-17 00:00:00", datetime.date(2009, 5, 17)),
        ("17/05/2009", datetime.date(2009, 5, 17)),
        ("17-05-2009", datetime.date(2009, 5, 17)),
        ("7/5/2009", datetime.date(2009, 5, 7)),
        ("17 Mei 2009", datetime.date(2009, 5, 17)),
        ("17 Agustus 2009", datetime.date(2009, 8, 17)),
        ("1 Agt 2009", datetime.date(2009, 8, 1)),
        ("1 Agu 2009", datetime.date(2009, 8, 1)),
        ("3 Okt 2009", datetime.date(2009, 10, 3)),
        ("3 Des 2009", datetime.date(2009, 12, 3)),
        ("3 januari 2009", datetime.date(2009, 1, 3)),
        ("31/02/2009", "invalid"),
        ("kemarin", "format"),
        ("17 Foo 2009", "format"),
        ("", ""),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "values,code",
    [
        ({"name": ""}, "name_empty"),
        ({"gender": ""}, "gender_empty"),
        ({"gender": "X"}, "gender_invalid"),
        ({"birth_date": ""}, "birth_date_empty"),
        ({"birth_date": "31/02/2009"}, "birth_date_invalid"),
        ({"birth_date": "bulan lalu"}, "birth_date_format"),
        ({"birth_date": "2027-01-01"}, "birth_date_future"),
        ({"birth_date": "2018-01-01"}, "age_under_10"),
        ({"birth_date": "1990-01-01"}, "age_over_25"),
        ({"nik": "150403170509001"}, "nik_length"),
        ({"nik": "15040317050900011"}, "nik_length"),
        ({"nik": "0504031705090001"}, "nik_leading_zero"),
        ({"nik": "1504031713090001"}, "nik_month"),
        ({"nik": "1504033505090001"}, "nik_day"),
        ({"nik": "1504037505090001"}, "nik_day"),
        ({"nik": "1504033102090001"}, "nik_date"),
        ({"nik": "1504031705090000"}, "nik_serial"),
        ({"nik": "1,50403E+15"}, "nik_scientific"),
        ({"nik": "1.504031705E+15"}, "nik_scientific"),
        ({"nik": "15040317O5090001"}, "nik_not_digits"),
        ({"kk": "1504031705090001"}, "nik_equals_kk"),
    ],
)
def test_errors_each_with_own_code_naming_row_and_column(values, code):
    (row,) = judge(values)
    assert row.has_error
    assert code in codes(row, "error")
    problem = next(p for p in row.problems if p.code == code)
    assert problem.row == 2
    assert problem.message.startswith("Baris 2, kolom ")
    assert problem.column in HEADERS


def test_error_messages_differ_per_nik_case():
    rows = judge(
        {"nik": "150403170509001"},
        {"nik": "0504031705090001"},
        {"nik": "1504031713090001"},
        {"nik": "1504033505090001"},
        {"nik": "1504033102090001"},
        {"nik": "1504031705090000"},
        {"nik": "1,50403E+15"},
    )
    messages = {row.problems[0].message.split(": ", 1)[1] for row in rows}
    assert len(messages) == 7


def test_female_nik_day_plus_40_is_valid():
    (row,) = judge({"gender": "P", "nik": "1504035705090001"})
    assert row.problems == []


def test_leap_day_nik():
    (row,) = judge({"birth_date": "2008-02-29", "nik": "1504032902080001"})
    assert not row.has_error


@pytest.mark.parametrize(
    "values,code",
    [
        ({"nik": ""}, "nik_empty"),
        ({"nik": "1504031805090001"}, "nik_birth_date_mismatch"),
        ({"gender": "P"}, "nik_gender_mismatch"),
        ({"nik": "9999991705090001"}, "nik_region_unknown"),
        ({"kk": ""}, "kk_empty"),
        ({"kk": "15040301011"}, "kk_invalid"),
        ({"nisn": "12345"}, "nisn_invalid"),
        ({"nik": 1504031705090010.0}, "nik_excel_rounded"),
    ],
)
def test_warnings_keep_the_row(values, code):
    (row,) = judge(values)
    assert not row.has_error
    assert codes(row, "warning") == [code]


def test_bad_kk_and_nisn_are_not_stored():
    (row,) = judge({"kk": "123", "nisn": "87204075"})
    assert row.kk == "" and row.nisn == ""


def test_nisn_from_numeric_cell_lost_leading_zero_is_restored_and_warned():
    (row,) = judge({"nisn": 87204075.0})
    assert codes(row) == ["nisn_zeros_restored"]
    assert row.nisn == "0087204075"
    assert "angka 0" in row.problems[0].message


def test_numeric_nik_not_ending_in_zero_has_no_rounding_warning():
    (row,) = judge({"nik": 1504031705090001.0})
    assert row.problems == []


def test_duplicate_nik_every_row_names_the_others():
    rows = judge({}, {"name": "Lain"}, {"nik": "1504031705090002"}, {"name": "Ketiga"})
    assert [r.has_error for r in rows] == [True, True, False, True]
    assert "baris 3, 5" in rows[0].problems[-1].message
    assert "baris 2, 5" in rows[1].problems[-1].message
    assert "baris 2, 3" in rows[3].problems[-1].message
