"""Normalise each row and judge it on its own (errors and warnings), before any database lookup.

Every problem names the spreadsheet row the user sees and the column. Errors keep the row out
of the import; warnings let it in and flag the student for follow-up.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.importing.columns import COLUMN_BY_FIELD
from schools.importing.readers import Table
from schools.models import age_on

ERROR = "error"
WARNING = "warning"
CONFLICT = "conflict"

MIN_AGE = 10
MAX_AGE = 25

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_INVISIBLE = dict.fromkeys(map(ord, "\u00a0\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202f\u2060\ufeff"), " ")
_SPACES = re.compile(r"\s+")
_NUMBER_JUNK = re.compile(r"[\s.\-\u2010-\u2015_/]+")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})([/\-.])(\d{1,2})\2(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:\s+|\s*[-./]\s*)([A-Za-z]+)\.?(?:\s+|\s*[-./]\s*)(\d{4})$")
# Two-digit years, as LibreOffice re-saves a typed 05/01/2009 (05/01/09), with "/", "-" or ".",
# or with a month name (5-Jan-09).
_DMY_SHORT = re.compile(r"^(\d{1,2})([/\-.])(\d{1,2})\2(\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_WORD_SHORT = re.compile(r"^(\d{1,2})(?:\s+|\s*[-./]\s*)([A-Za-z]+)\.?(?:\s+|\s*[-./]\s*)(\d{2})$")
MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "pebruari": 2,
    "feb": 2,
    "peb": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "agus": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "november": 11,
    "nov": 11,
    "nopember": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    # English, as an English-language Excel, LibreOffice or WPS writes them (5-Jan-2009, 5 January 2009)
    "january": 1,
    "february": 2,
    "march": 3,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "aug": 8,
    "october": 10,
    "oct": 10,
    "december": 12,
    "dec": 12,
}
GENDERS = {
    "l": "L",
    "lk": "L",
    "laki-laki": "L",
    "laki laki": "L",
    "lakilaki": "L",
    "laki": "L",
    "pria": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
}

# Warning codes stored on Student.data_warnings (labels for the screens).
WARNING_LABELS = {
    "nik_empty": gettext_lazy("NIK kosong"),
    "nik_birth_date_mismatch": gettext_lazy("Tanggal lahir di NIK berbeda"),
    "nik_gender_mismatch": gettext_lazy("Jenis kelamin di NIK berbeda"),
    "nik_region_unknown": gettext_lazy("Kode wilayah NIK tidak dikenal"),
    "nik_excel_rounded": gettext_lazy("NIK perlu dicek: mungkin dibulatkan"),
    "kk_empty": gettext_lazy("No KK kosong"),
    "kk_invalid": gettext_lazy("No KK tidak sah"),
    "kk_excel_rounded": gettext_lazy("No KK perlu dicek: mungkin dibulatkan"),
    "nisn_invalid": gettext_lazy("NISN tidak sah"),
    "nisn_zeros_restored": gettext_lazy("NISN: angka 0 di depan dikembalikan"),
    "birth_date_two_digit_year": gettext_lazy("Tahun lahir ditulis dua angka"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    column: str
    severity: str
    code: str
    message: str  # "Baris 5, kolom NIK: …" as shown in upload previews
    field: str = ""  # the Student field (e.g. "nik")
    detail: str = ""  # the message without the row and column (for a form field's error)

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def make_problem(row: int, column_field: str, severity: str, code: str, message: str) -> Problem:
    """A problem whose message names the spreadsheet row and the column, as the user sees them."""
    label = COLUMN_BY_FIELD[column_field].label if column_field in COLUMN_BY_FIELD else column_field
    text = _("Baris %(row)s, kolom %(column)s: %(message)s") % {"row": row, "column": label, "message": message}
    return Problem(row, label, severity, code, text, column_field, message)


@dataclass(slots=True)
class CleanRow:
    number: int
    name: str = ""
    gender: str = ""
    birth_date: datetime.date | None = None
    birth_place: str = ""
    nik: str = ""  # a valid NIK, else ""
    kk: str = ""  # a valid No KK, else ""
    nisn: str = ""  # a valid NISN, else ""
    nipd: str = ""
    class_name: str = ""
    nik_present: bool = False  # the NIK cell had something (valid or not)
    problems: list[Problem] = field(default_factory=list)
    has_error: bool = False

    def add(self, column_field: str, severity: str, code: str, message: str) -> None:
        self.problems.append(make_problem(self.number, column_field, severity, code, message))
        if severity == ERROR:
            self.has_error = True

    @property
    def warning_codes(self) -> list[str]:
        return [p.code for p in self.problems if p.severity == WARNING]


# --- cleaning -----------------------------------------------------------------------------


def clean_text(value) -> str:
    """Trim and fold repeated spaces; numbers read from Excel lose a trailing ``.0``."""
    if value.__class__ is str:
        if value.isascii():
            return " ".join(value.split())
        return _SPACES.sub(" ", value.translate(_INVISIBLE)).strip()
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value))


# Kinds of number cells
TEXT = 0  # a text cell
NUMERIC = 1  # read from a numeric Excel cell
SCIENTIFIC = 2  # written as 1,50403E+15 (digits lost)
FRACTION = 3  # a numeric cell that is not a whole number


def clean_number(value) -> tuple[str, int]:
    """Clean a NIK / No KK / NISN cell: strip spaces, dots, dashes, a leading apostrophe, invisible
    characters. Return (what is left, kind of cell)."""
    if value.__class__ is str:
        if value.isdigit() and value.isascii():
            return value, TEXT
        text = value if value.isascii() else value.translate(_INVISIBLE)
        text = text.strip().lstrip("'\u2019`").strip()
        if "e" in text or "E" in text:
            compact = text.replace(" ", "")
            if _SCIENTIFIC.match(compact):
                return compact, SCIENTIFIC
        return _NUMBER_JUNK.sub("", text), TEXT
    if value is None or isinstance(value, bool):
        return "", TEXT
    if isinstance(value, int):
        return str(value), NUMERIC
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "", NUMERIC
        if not value.is_integer():
            return repr(value), FRACTION
        return str(int(value)), NUMERIC
    if isinstance(value, datetime.date):
        return value.isoformat(), TEXT
    return clean_number(str(value))


def parse_gender(value) -> str | None:
    """Return "L" / "P", "" when empty, None when not recognised."""
    text = clean_text(value).lower()
    if not text:
        return ""
    return GENDERS.get(text.rstrip("."))


def parse_date(value) -> datetime.date | str:
    """Return a date; "" when empty; "invalid" when it is not a real date; "format" when unrecognised."""
    if value.__class__ is str:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
            except ValueError:
                pass
        text = clean_text(value)
        if not text:
            return ""
        return _parse_date_text(text)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        return "format"
    if isinstance(value, int | float):
        if 1 <= value < 2958466:  # an Excel date serial in a cell without a date format
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        return "format"
    return parse_date(str(value))


def _parse_date_text(text: str) -> datetime.date | str:
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY_DATE.match(text)
        if match:
            day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        else:
            match = _WORD_DATE.match(text)
            if not match:
                return "format"
            month = MONTHS.get(match.group(2).lower())
            if month is None:
                return "format"
            day, year = int(match.group(1)), int(match.group(3))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return "invalid"


def parse_short_date(value) -> tuple[int, int, int] | None:
    """(day, month, two-digit year) of a text date written with a two-digit year, else None."""
    if not isinstance(value, str):
        return None
    text = clean_text(value)
    match = _DMY_SHORT.match(text)
    if match:
        return int(match.group(1)), int(match.group(3)), int(match.group(4))
    match = _WORD_SHORT.match(text)
    if match and match.group(2).lower() in MONTHS:
        return int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    return None


def nik_birth(nik: str) -> tuple[int, int, int, str]:
    """Return (day, month, two-digit year, gender) written in a NIK."""
    day = int(nik[6:8])
    gender = "P" if day > 40 else "L"
    return (day - 40 if day > 40 else day), int(nik[8:10]), int(nik[10:12]), gender


def _nik_year(yy: int, today: datetime.date) -> int:
    return 2000 + yy if 2000 + yy <= today.year else 1900 + yy


def nik_format_error(nik: str, today: datetime.date) -> tuple[str, str] | None:
    """Return (code, message) when a cleaned NIK is malformed, each case with its own message."""
    if not nik.isdigit():
        return "nik_not_digits", _("NIK hanya boleh berisi angka (terbaca “%(value)s”).") % {"value": nik[:24]}
    if len(nik) != 16:
        return "nik_length", _("NIK harus 16 angka, terbaca %(count)s angka.") % {"count": len(nik)}
    if nik[0] == "0":
        return "nik_leading_zero", _("NIK tidak pernah diawali angka 0.")
    month = int(nik[8:10])
    if not 1 <= month <= 12:
        return "nik_month", _("Bulan lahir di NIK (angka ke-9 dan ke-10: %(month)s) harus 01–12.") % {
            "month": nik[8:10]
        }
    day = int(nik[6:8])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        message = _(
            "Tanggal lahir di NIK (angka ke-7 dan ke-8: %(day)s) harus 01–31 (laki-laki) atau 41–71 (perempuan)."
        )
        return "nik_day", message % {"day": nik[6:8]}
    real_day = day - 40 if day > 40 else day
    try:
        datetime.date(_nik_year(int(nik[10:12]), today), month, real_day)
    except ValueError:
        return "nik_date", _("Tanggal lahir di NIK (%(date)s) bukan tanggal yang ada di kalender.") % {
            "date": f"{real_day:02d}-{month:02d}-{nik[10:12]}"
        }
    if nik[12:] == "0000":
        return "nik_serial", _("Nomor urut NIK (4 angka terakhir) tidak boleh 0000.")
    return None


# --- judging one row ----------------------------------------------------------------------


class RowJudge:
    """Normalise and judge rows; ``nik_regions`` is the set of known kecamatan codes."""

    def __init__(
        self,
        *,
        nik_regions: set[str] | frozenset[str],
        today: datetime.date,
        reference_date: datetime.date | None = None,
    ):
        self.nik_regions = nik_regions
        self.today = today
        # Two-digit years are read as 20YY when that gives an age of 10-25 on the drive's reference date.
        self.reference_date = reference_date or today
        self.nisn_ten_digits = False  # most of the file's NISN cells have 10 digits (see ``judge``)
        # Birth dates giving an age from MIN_AGE to MAX_AGE today (compared instead of computing ages).
        self.youngest = _years_before(today, MIN_AGE)
        self.oldest = _years_before(today, MAX_AGE + 1) + datetime.timedelta(days=1)

    def judge(self, table: Table) -> list[CleanRow]:
        columns = table.columns
        indexes = [columns.get(f, -1) for f in _ORDER]
        width = max(indexes) + 1
        pad = [None] * width
        self.nisn_ten_digits = _mostly_ten_digits(table, columns.get("nisn"))
        judge_row = self.judge_row
        rows = []
        for raw in table.rows:
            values = raw.values
            if len(values) < width:
                values = values + pad[len(values) :]
            cells = [values[i] if i >= 0 else None for i in indexes]
            rows.append(judge_row(raw.number, *cells))
        self.mark_duplicates(rows)
        return rows

    def judge_row(self, number, name, gender, birth_date, birth_place, nipd, class_name, nik, kk, nisn) -> CleanRow:
        row = CleanRow(number=number)

        row.name = clean_text(name)
        if not row.name:
            row.add("name", ERROR, "name_empty", _("Nama kosong."))
        elif len(row.name) > 200:
            row.add("name", ERROR, "name_too_long", _("Nama terlalu panjang (lebih dari 200 huruf)."))

        if gender.__class__ is str and gender in _FAST_GENDERS:
            row.gender = gender
        else:
            self._judge_gender(row, gender)

        birth = parse_date(birth_date)
        if birth.__class__ is datetime.date and self.oldest <= birth <= self.youngest:
            row.birth_date = birth
        else:
            self._judge_birth_date(row, birth, birth_date)

        row.birth_place = clean_text(birth_place)[:100] if birth_place else ""
        row.nipd = clean_text(nipd)[:30] if nipd else ""
        row.class_name = clean_text(class_name)[:50] if class_name else ""

        self._judge_nik(row, nik)
        self._judge_kk(row, kk)
        self._judge_nisn(row, nisn)
        return row

    def _judge_gender(self, row: CleanRow, value) -> None:
        gender = parse_gender(value)
        if gender == "":
            row.add("gender", ERROR, "gender_empty", _("JK kosong; isi L atau P."))
        elif gender is None:
            row.add(
                "gender",
                ERROR,
                "gender_invalid",
                _("JK “%(value)s” tidak dikenal; isi L/P atau Laki-laki/Perempuan.")
                % {"value": clean_text(value)[:30]},
            )
        else:
            row.gender = gender

    def _judge_birth_date(self, row: CleanRow, birth, raw) -> None:
        if birth == "":
            row.add("birth_date", ERROR, "birth_date_empty", _("Tanggal Lahir kosong."))
        elif birth == "invalid":
            row.add(
                "birth_date",
                ERROR,
                "birth_date_invalid",
                _("Tanggal Lahir “%(value)s” bukan tanggal yang ada di kalender.") % {"value": clean_text(raw)[:30]},
            )
        elif birth == "format" and (short := parse_short_date(raw)) is not None:
            self._judge_short_date(row, short, raw)
        elif birth == "format":
            row.add(
                "birth_date",
                ERROR,
                "birth_date_format",
                _(
                    "Tanggal Lahir “%(value)s” tidak terbaca; tulis 2008-09-13, 13/09/2008, 13/09/08, "
                    "13-09-2008, 13 September 2008 atau 13 Sep 2008."
                )
                % {"value": clean_text(raw)[:30]},
            )
        elif birth > self.today:
            row.add(
                "birth_date",
                ERROR,
                "birth_date_future",
                _("Tanggal Lahir %(date)s ada di masa depan.") % {"date": birth.strftime("%d-%m-%Y")},
            )
        else:
            age = age_on(birth, self.today)
            if age < MIN_AGE:
                row.add(
                    "birth_date",
                    ERROR,
                    "age_under_10",
                    _("Tanggal Lahir %(date)s memberi umur %(age)s tahun (kurang dari %(min)s); periksa tahunnya.")
                    % {"date": birth.strftime("%d-%m-%Y"), "age": age, "min": MIN_AGE},
                )
            elif age > MAX_AGE:
                row.add(
                    "birth_date",
                    ERROR,
                    "age_over_25",
                    _("Tanggal Lahir %(date)s memberi umur %(age)s tahun (lebih dari %(max)s); periksa tahunnya.")
                    % {"date": birth.strftime("%d-%m-%Y"), "age": age, "max": MAX_AGE},
                )
            else:
                row.birth_date = birth

    def _judge_short_date(self, row: CleanRow, short: tuple[int, int, int], raw) -> None:
        """A date with a two-digit year: 20YY when that makes the student 10-25 on the reference
        date (19YY never can), else an error naming the ambiguity; always a warning showing the date read."""
        day, month, yy = short
        written = clean_text(raw)[:30]
        try:
            birth = datetime.date(2000 + yy, month, day)
        except ValueError:
            row.add(
                "birth_date",
                ERROR,
                "birth_date_invalid",
                _("Tanggal Lahir “%(value)s” bukan tanggal yang ada di kalender.") % {"value": written},
            )
            return
        age = age_on(birth, self.reference_date)
        if not (MIN_AGE <= age <= MAX_AGE) or birth > self.today:
            row.add(
                "birth_date",
                ERROR,
                "birth_date_two_digit_year",
                _(
                    "Tanggal Lahir “%(value)s” memakai tahun dua angka: %(year20)s maupun %(year19)s tidak memberi "
                    "umur %(min)s–%(max)s tahun; tulis tahunnya empat angka (mis. %(example)s)."
                )
                % {
                    "value": written,
                    "year20": 2000 + yy,
                    "year19": 1900 + yy,
                    "min": MIN_AGE,
                    "max": MAX_AGE,
                    "example": f"{day:02d}/{month:02d}/{2000 + yy}",
                },
            )
            return
        row.birth_date = birth
        row.add(
            "birth_date",
            WARNING,
            "birth_date_two_digit_year",
            _("Tanggal Lahir “%(value)s” bertahun dua angka, dibaca %(date)s; periksa tahunnya.")
            % {"value": written, "date": birth.strftime("%d-%m-%Y")},
        )

    def _judge_nik(self, row: CleanRow, value) -> None:
        digits, kind = clean_number(value)
        if not digits:
            row.add("nik", WARNING, "nik_empty", _("NIK kosong; peserta didik perlu NIK sebelum perekaman."))
            return
        row.nik_present = True
        if kind == SCIENTIFIC:
            row.add(
                "nik",
                ERROR,
                "nik_scientific",
                _(
                    "NIK tertulis dalam notasi ilmiah (“%(value)s”) sehingga angkanya hilang; "
                    "format kolom NIK sebagai Teks lalu ketik ulang dari KK."
                )
                % {"value": digits[:24]},
            )
            return
        if kind == FRACTION:
            row.add("nik", ERROR, "nik_not_digits", _("NIK terbaca sebagai angka pecahan; ketik ulang sebagai teks."))
            return
        problem = nik_format_error(digits, self.today)
        if problem:
            row.add("nik", ERROR, *problem)
            return
        nik = digits
        row.nik = nik
        if kind == NUMERIC and nik[-1] == "0":
            row.add(
                "nik",
                WARNING,
                "nik_excel_rounded",
                _(
                    "NIK dibaca dari sel angka dan berakhir 0: Excel/LibreOffice/WPS mungkin telah membulatkannya. "
                    "Cocokkan dengan KK dan simpan kolom NIK sebagai Teks."
                ),
            )
        birth = row.birth_date
        if birth is not None:
            day = int(nik[6:8])
            female = day > 40
            if female:
                day -= 40
            if day != birth.day or int(nik[8:10]) != birth.month or int(nik[10:12]) != birth.year % 100:
                row.add(
                    "nik",
                    WARNING,
                    "nik_birth_date_mismatch",
                    _("Tanggal lahir di NIK (%(nik_date)s) berbeda dengan Tanggal Lahir (%(date)s).")
                    % {"nik_date": f"{day:02d}-{nik[8:10]}-{nik[10:12]}", "date": birth.strftime("%d-%m-%y")},
                )
        else:
            female = int(nik[6:8]) > 40
        nik_gender = "P" if female else "L"
        if row.gender and nik_gender != row.gender:
            row.add(
                "nik",
                WARNING,
                "nik_gender_mismatch",
                _("NIK menunjukkan jenis kelamin %(nik_gender)s, tetapi JK tertulis %(gender)s.")
                % {"nik_gender": nik_gender, "gender": row.gender},
            )
        if nik[:6] not in self.nik_regions:
            row.add(
                "nik",
                WARNING,
                "nik_region_unknown",
                _("Enam angka pertama NIK (%(code)s) bukan kode kecamatan dalam tabel nasional.") % {"code": nik[:6]},
            )

    def _judge_kk(self, row: CleanRow, value) -> None:
        digits, kind = clean_number(value)
        if not digits:
            row.add("kk", WARNING, "kk_empty", _("No KK kosong; peserta didik perlu membawa fotokopi KK."))
            return
        if kind in (SCIENTIFIC, FRACTION) or len(digits) != 16 or not digits.isdigit():
            row.add(
                "kk",
                WARNING,
                "kk_invalid",
                _("No KK “%(value)s” bukan 16 angka; tidak disimpan.") % {"value": digits[:24]},
            )
            return
        if digits == row.nik:
            row.add(
                "nik",
                ERROR,
                "nik_equals_kk",
                _("NIK sama dengan No KK; kolomnya mungkin tertukar. Periksa KK peserta didik."),
            )
            row.nik = ""
            return
        row.kk = digits
        if kind == NUMERIC and digits[-1] == "0":
            row.add(
                "kk",
                WARNING,
                "kk_excel_rounded",
                _(
                    "No KK dibaca dari sel angka dan berakhir 0: Excel/LibreOffice/WPS mungkin telah membulatkannya. "
                    "Cocokkan dengan fotokopi KK dan simpan kolom No KK sebagai Teks."
                ),
            )

    def _judge_nisn(self, row: CleanRow, value) -> None:
        digits, kind = clean_number(value)
        if not digits:
            return
        if (
            kind in (NUMERIC, TEXT)
            and 0 < len(digits) < 10
            and digits.isdigit()
            and (kind == NUMERIC or self.nisn_ten_digits)
        ):
            restored = digits.zfill(10)
            row.nisn = restored
            row.add(
                "nisn",
                WARNING,
                "nisn_zeros_restored",
                _(
                    "NISN “%(value)s” kurang dari 10 angka: angka 0 di depan yang hilang dikembalikan, dibaca "
                    "%(nisn)s. Cocokkan dengan Dapodik dan simpan kolom NISN sebagai Teks."
                )
                % {"value": digits, "nisn": restored},
            )
            return
        if kind in (SCIENTIFIC, FRACTION) or len(digits) != 10 or not digits.isdigit():
            row.add(
                "nisn",
                WARNING,
                "nisn_invalid",
                _("NISN “%(value)s” bukan 10 angka%(hint)s; tidak disimpan.") % {"value": digits[:24], "hint": ""},
            )
            return
        row.nisn = digits

    @staticmethod
    def mark_duplicates(rows: list[CleanRow]) -> None:
        """Every row sharing a NIK with another row is an error that names the other rows."""
        first: dict[str, CleanRow] = {}
        duplicates: dict[str, list[CleanRow]] = {}
        for row in rows:
            nik = row.nik
            if not nik:
                continue
            seen = first.get(nik)
            if seen is None:
                first[nik] = row
            elif nik in duplicates:
                duplicates[nik].append(row)
            else:
                duplicates[nik] = [seen, row]
        for same in duplicates.values():
            for row in same:
                others = ", ".join(str(other.number) for other in same if other is not row)
                row.add(
                    "nik",
                    ERROR,
                    "nik_duplicate",
                    _("NIK yang sama juga ada di baris %(rows)s; satu NIK hanya untuk satu peserta didik.")
                    % {"rows": others},
                )


def _mostly_ten_digits(table: Table, index: int | None) -> bool:
    """True when more than half of a column's filled text cells hold exactly 10 digits: then a
    shorter NISN there lost its leading zeros (a CSV saved from a number column)."""
    if index is None:
        return False
    filled = ten = 0
    for raw in table.rows:
        value = raw.values[index] if index < len(raw.values) else None
        if value is None or value == "":
            continue
        digits, _kind = clean_number(value)
        if digits:
            filled += 1
            ten += len(digits) == 10 and digits.isdigit()
    return filled > 0 and ten * 2 > filled


_ORDER = ("name", "gender", "birth_date", "birth_place", "nipd", "class_name", "nik", "kk", "nisn")
_FAST_GENDERS = frozenset(("L", "P"))


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
