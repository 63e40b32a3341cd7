"""Match judged rows against the school's students: new, updated, unchanged, conflict, left.

Pure Python over plain data (the service loads the students with ``schools.selectors``), so the
same plan is computed for the preview and again, under the school's lock, at commit.

Rules: a row matches a student of the same school by NIK, else NISN, else name plus birth date.
An empty cell never erases a stored value. A NIK held by an active student of another school is
a conflict for Dukcapil to resolve. After a whole-list upload, active students no row matched are
proposed as left.
"""

from __future__ import annotations

import datetime
import hashlib
import operator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from schools.importing.columns import COLUMN_BY_FIELD
from schools.importing.rows import CONFLICT, ERROR, WARNING, CleanRow, Problem, make_problem
from schools.models import mask_number

FIELDS = ("name", "gender", "birth_place", "birth_date", "nik", "kk", "nisn", "nipd", "class_name")
MASKED_FIELDS = ("nik", "kk")
DETAIL_LIMIT = 100

NEW = "new"
UPDATED = "updated"
UNCHANGED = "unchanged"
NOT_IMPORTED = "error"
CONFLICTED = "conflict"


@dataclass(slots=True)
class Existing:
    """A student of the uploading school, as loaded for matching."""

    id: int
    name: str
    gender: str
    birth_place: str
    birth_date: datetime.date
    nik: str
    kk: str
    nisn: str
    nipd: str
    class_name: str
    is_active: bool
    data_warnings: list[str]


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """An active student of another school holding a NIK from the file."""

    student_id: int
    school_id: int
    school_name: str


@dataclass(slots=True)
class RowAction:
    row: CleanRow
    action: str
    student_id: int | None = None
    values: dict | None = None  # merged values to write (new / updated)
    changed: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    conflict: Elsewhere | None = None
    not_yet_eligible: bool = False
    problems: list[Problem] = field(default_factory=list)

    def warning_codes(self) -> list[str]:
        return [p.code for p in self.problems if p.severity == WARNING]


@dataclass
class Plan:
    actions: list[RowAction]
    left_ids: list[int]
    reference_date: datetime.date
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    fingerprint: str = ""

    def of(self, action: str) -> list[RowAction]:
        return [a for a in self.actions if a.action == action]


def fold_name(name: str) -> str:
    return " ".join(name.casefold().split())


def build_plan(
    rows: list[CleanRow],
    *,
    existing: list[Existing],
    elsewhere: dict[str, Elsewhere],
    whole_list: bool,
    reference_date: datetime.date,
    eligibility_cutoff: datetime.date,
) -> Plan:
    """Decide what happens to each row; nothing is written here."""
    active = [s for s in existing if s.is_active]
    by_nik = {s.nik: s for s in active if s.nik}
    inactive_by_nik = {s.nik: s for s in existing if not s.is_active and s.nik}
    by_nisn: dict[str, Existing] = {}
    by_name_birth: dict[tuple[str, datetime.date], Existing] = {}
    for student in active:
        if student.nisn:
            by_nisn.setdefault(student.nisn, student)
        by_name_birth.setdefault((fold_name(student.name), student.birth_date), student)
    claimed: dict[int, int] = {}  # student id -> row number

    def find(row: CleanRow) -> tuple[Existing | None, str]:
        if row.nik and row.nik in by_nik:
            return by_nik[row.nik], "NIK"
        if row.nisn and row.nisn in by_nisn:
            return by_nisn[row.nisn], "NISN"
        if row.name and row.birth_date:
            student = by_name_birth.get((fold_name(row.name), row.birth_date))
            if student is not None:
                return student, _("nama dan tanggal lahir")
        return None, ""

    actions: list[RowAction] = []
    for row in rows:
        if row.has_error:
            student, _how = find(row)
            if student is not None:
                claimed.setdefault(student.id, row.number)
            actions.append(RowAction(row=row, action=NOT_IMPORTED, problems=list(row.problems)))
            continue
        if row.nik and row.nik in elsewhere and row.nik not in by_nik:
            other = elsewhere[row.nik]
            student, _how = find(row)
            if student is not None:
                claimed.setdefault(student.id, row.number)
            problem = make_problem(
                row.number,
                "nik",
                CONFLICT,
                "nik_other_school",
                _(
                    "NIK ini milik peserta didik aktif di sekolah lain. Baris ini belum diimpor sampai "
                    "Dukcapil memutuskan (pindahkan ke sekolah ini atau tolak)."
                ),
            )
            action = RowAction(row=row, action=CONFLICTED, conflict=other, problems=[*row.problems, problem])
            action.warnings = action.warning_codes()
            actions.append(action)
            continue
        student, how = find(row)
        if student is not None and student.id in claimed:
            problem = make_problem(
                row.number,
                "nik" if how == "NIK" else ("nisn" if how == "NISN" else "name"),
                ERROR,
                "same_student_twice",
                _("Baris ini dan baris %(other)s cocok dengan peserta didik yang sama (%(how)s sama).")
                % {"other": claimed[student.id], "how": how},
            )
            actions.append(RowAction(row=row, action=NOT_IMPORTED, problems=[*row.problems, problem]))
            continue
        if student is None and row.nik and row.nik in inactive_by_nik:
            student = inactive_by_nik.pop(row.nik)  # a student who left and is back: reactivate
        if student is None:
            actions.append(_new_action(row, eligibility_cutoff))
            continue
        claimed[student.id] = row.number
        actions.append(_merge_action(row, student, eligibility_cutoff))

    left_ids = sorted(s.id for s in active if s.id not in claimed) if whole_list else []
    plan = Plan(actions=actions, left_ids=left_ids, reference_date=reference_date)
    _summarise(plan)
    return plan


def _values_of(row: CleanRow) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def _new_action(row: CleanRow, cutoff: datetime.date) -> RowAction:
    """A new student: the row's own values are written (``values`` stays None to save memory)."""
    warnings = row.warning_codes
    return RowAction(
        row=row,
        action=NEW,
        warnings=warnings,
        not_yet_eligible=row.birth_date > cutoff,
        problems=row.problems,
    )


_FIELD_VALUES = operator.attrgetter(*FIELDS)


def _merge_action(row: CleanRow, student: Existing, cutoff: datetime.date) -> RowAction:
    new_values = _FIELD_VALUES(row)
    old_values = _FIELD_VALUES(student)
    # An empty cell never erases a stored value.
    merged = tuple(old if new == "" or new is None else new for new, old in zip(new_values, old_values, strict=True))
    changed = [name for name, value, old in zip(FIELDS, merged, old_values, strict=True) if value != old]
    values = dict(zip(FIELDS, merged, strict=True))
    problems = row.problems
    if problems:
        # Warnings about empty cells do not apply when the stored value fills the gap.
        dropped = set()
        if values["nik"] and not row.nik_present:
            dropped.add("nik_empty")
        if values["kk"] and not row.kk:
            dropped.add("kk_empty")
        if dropped:
            problems = [p for p in problems if not (p.severity == WARNING and p.code in dropped)]
    warnings = [p.code for p in problems if p.severity == WARNING]
    # A stored NIK or No KK kept because the cell is empty keeps its "may be rounded" flag: only a
    # value from a text cell (or a fix on the student page) clears it.
    if not row.nik_present and values["nik"] == student.nik and "nik_excel_rounded" in (student.data_warnings or ()):
        warnings.append("nik_excel_rounded")
    if not row.kk and values["kk"] == student.kk and "kk_excel_rounded" in (student.data_warnings or ()):
        warnings.append("kk_excel_rounded")
    values["data_warnings"] = warnings
    if sorted(warnings) != sorted(student.data_warnings or []):
        changed.append("data_warnings")
    if not student.is_active:
        changed.append("is_active")
    return RowAction(
        row=row,
        action=UPDATED if changed else UNCHANGED,
        student_id=student.id,
        values=values,
        changed=tuple(changed),
        warnings=warnings,
        not_yet_eligible=values["birth_date"] > cutoff,
        problems=problems,
    )


def _summarise(plan: Plan) -> None:
    counts = dict.fromkeys((NEW, UPDATED, UNCHANGED, NOT_IMPORTED, CONFLICTED), 0)
    warnings = not_yet_eligible = 0
    problems: list[Problem] = []
    digest = hashlib.sha256()
    for action in plan.actions:
        counts[action.action] += 1
        row = action.row
        if action.problems:
            problems.extend(action.problems)
            if any(p.severity == WARNING for p in action.problems):
                warnings += 1
        if action.not_yet_eligible and action.action in (NEW, UPDATED, UNCHANGED):
            not_yet_eligible += 1
        changed_values = tuple((name, str(action.values.get(name))) for name in action.changed if action.values)
        conflict_id = action.conflict.student_id if action.conflict else None
        digest.update(repr((row.number, action.action, action.student_id, changed_values, conflict_id)).encode())
    digest.update(repr(plan.left_ids).encode())
    plan.counts = {
        "rows": len(plan.actions),
        "new": counts[NEW],
        "updated": counts[UPDATED],
        "unchanged": counts[UNCHANGED],
        "not_imported": counts[NOT_IMPORTED],
        "conflicts": counts[CONFLICTED],
        "warnings": warnings,
        "not_yet_eligible": not_yet_eligible,
        "left": len(plan.left_ids),
    }
    plan.problems = problems
    plan.fingerprint = digest.hexdigest()


def _shown(name: str, value) -> str:
    if value in ("", None):
        return "\u2014"
    if name in MASKED_FIELDS:
        return mask_number(str(value))
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


def plan_details(plan: Plan, existing_by_id: dict[int, Existing]) -> dict:
    """Short lists for the preview page (numbers masked): the first updates and conflicts."""
    updated = []
    for action in plan.actions:
        if action.action != UPDATED or len(updated) >= DETAIL_LIMIT:
            continue
        student = existing_by_id.get(action.student_id)
        changes = []
        for name in action.changed:
            if name in ("data_warnings",):
                continue
            if name == "is_active":
                changes.append({"field": "is_active", "label": _("Status"), "old": _("keluar"), "new": _("aktif lagi")})
                continue
            old = getattr(student, name) if student else ""
            label = COLUMN_BY_FIELD[name].label
            changes.append(
                {"field": name, "label": label, "old": _shown(name, old), "new": _shown(name, action.values[name])}
            )
        updated.append({"row": action.row.number, "name": action.values["name"], "changes": changes})
    conflicts = [
        {
            "row": a.row.number,
            "name": a.row.name,
            "nik": mask_number(a.row.nik),
            "school": a.conflict.school_name,
        }
        for a in plan.actions
        if a.action == CONFLICTED
    ][:DETAIL_LIMIT]
    return {"updated": updated, "conflicts": conflicts}


__all__ = [
    "CONFLICTED",
    "ERROR",
    "NEW",
    "NOT_IMPORTED",
    "UNCHANGED",
    "UPDATED",
    "Elsewhere",
    "Existing",
    "Plan",
    "RowAction",
    "build_plan",
    "plan_details",
]
