"""Find a student: by name (ignoring case and accents), NISN, NIPD or the last 4+ digits of the NIK;
a full 16-digit NIK only for users who may see the school's personal data.

Each hit carries its status in the current drive, read in the same query as the hits (one bounded
statement). Accents are folded in SQL with ``translate()`` (no ``unaccent`` extension needed).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from recordings.models import Drive, DriveSchool, Recording
from recordings.selectors import drive_current, eligibility_cutoff, latest_outcome
from schools.models import School, Student
from schools.permissions import can_view_personal_data, students_visible_to
from schools.roles import Role, is_dukcapil_staff, user_role

MAX_RESULTS = 20
MIN_DIGITS = 4
MIN_LETTERS = 2
NIK_LENGTH = 16
MAX_QUERY_LENGTH = 100
# Left out of names before comparing: "Nur'aini" is found as "nuraini".
DROPPED = "'`’‘ʼ"
SEPARATORS = re.compile(r"[\s.\-/]+")


def can_search_students(user) -> bool:
    """Dukcapil staff search all schools; school admins their own school."""
    return is_dukcapil_staff(user) or user_role(user) == Role.SCHOOL_ADMIN


@cache
def _accent_table() -> tuple[str, str]:
    """Latin letters with accents and their plain lowercase letter, for SQL ``translate()``."""
    source, target = [], []
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0].lower()
        if base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source) + DROPPED, "".join(target)


def fold(text: str) -> str:
    """Lowercase without accents or apostrophes, as the database side folds names."""
    source, target = _accent_table()
    table = {ord(s): t for s, t in zip(source, target, strict=False)}
    table.update({ord(c): None for c in DROPPED})
    return " ".join(text.translate(table).lower().split())


def _folded(column: str):
    source, target = _accent_table()
    return Lower(Func(F(column), Value(source), Value(target), function="translate"))


@dataclass(frozen=True)
class Query:
    text: str
    digits: str  # the query without separators when it is only digits, else ""
    words: tuple[str, ...]  # folded name words when the query has letters

    @property
    def full_nik(self) -> bool:
        return len(self.digits) == NIK_LENGTH


def parse_query(raw: str) -> Query:
    text = " ".join((raw or "").split())[:MAX_QUERY_LENGTH]
    compact = SEPARATORS.sub("", text)
    if compact.isdigit():
        return Query(text=text, digits=compact, words=())
    return Query(text=text, digits="", words=tuple(fold(text).split()))


def query_problem(query: Query) -> str | None:
    """Why a query is too short to search, in words the user can act on (None when it is fine)."""
    if not query.text:
        return _("Ketik nama, NISN, NIPD atau minimal 4 angka terakhir NIK.")
    if query.words and len("".join(query.words)) < MIN_LETTERS:
        return _("Ketik minimal 2 huruf nama.")
    if not query.words and len(query.digits) < MIN_DIGITS:
        return _("Ketik minimal 4 angka (NISN, NIPD atau angka terakhir NIK).")
    return None


@dataclass(frozen=True)
class Hit:
    student: Student
    school: School
    status: str  # code, see STATUS_LABELS
    status_label: str


def _status_labels() -> dict[str, str]:
    labels = {
        "left": _("Keluar"),
        "not_in_drive": _("Sekolah tidak ikut kegiatan"),
        "too_young": _("Belum 16 tahun"),
        "needs_nik": _("Perlu NIK"),
        "waiting": _("Belum dilayani"),
        "no_drive": _("Belum ada kegiatan"),
    }
    labels.update({code: str(label) for code, label in Recording.Outcome.choices})
    return labels


def _with_drive_status(students: QuerySet[Student], drive: Drive | None) -> QuerySet[Student]:
    """The one place a hit's status in the drive is read: the latest outcome and whether the
    school takes part, as columns of the same query."""
    if drive is None:
        return students
    return students.annotate(
        drive_outcome=latest_outcome(drive),
        in_drive=Exists(DriveSchool.objects.filter(drive=drive, school=OuterRef("school_id"))),
    )


def _status(student: Student, drive: Drive | None, cutoff: datetime.date | None) -> str:
    if not student.is_active:
        return "left"
    if drive is None:
        return "no_drive"
    if not student.in_drive:
        return "not_in_drive"
    if student.birth_date > cutoff:
        return "too_young"
    if student.drive_outcome:
        return student.drive_outcome
    return "needs_nik" if not student.nik else "waiting"


def _matching(students: QuerySet[Student], query: Query) -> QuerySet[Student]:
    if query.words:
        every_word = Q()
        for word in query.words:
            every_word &= Q(folded_name__contains=word)
        return students.annotate(folded_name=_folded("name")).filter(every_word | Q(nipd__iexact=query.text))
    digits = query.digits
    if query.full_nik:
        return students.filter(nik=digits)
    return students.filter(Q(nisn__startswith=digits) | Q(nipd__in={digits, query.text}) | Q(nik__endswith=digits))


def student_search(user, raw: str, *, drive: Drive | None = None) -> tuple[Query, list[Hit], bool]:
    """Students the user may see that match ``raw``: (query, up to MAX_RESULTS hits, more exist).

    A full-NIK query only returns students whose school's personal data the user may see.
    """
    query = parse_query(raw)
    if query_problem(query) or not can_search_students(user):
        return query, [], False
    drive = drive if drive is not None else drive_current()
    cutoff = eligibility_cutoff(drive.reference_date) if drive is not None else None
    students = _matching(students_visible_to(user), query)
    rows = list(
        _with_drive_status(students, drive)
        .select_related("school")
        .order_by("-is_active", "name", "pk")[: MAX_RESULTS + 1]
    )
    more = len(rows) > MAX_RESULTS
    rows = rows[:MAX_RESULTS]
    if query.full_nik:
        rows = [s for s in rows if can_view_personal_data(user, s.school)]
    labels = _status_labels()
    hits = []
    for student in rows:
        code = _status(student, drive, cutoff)
        hits.append(Hit(student=student, school=student.school, status=code, status_label=labels.get(code, code)))
    return query, hits, more
