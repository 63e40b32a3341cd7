"""Filters and sorting of the progress tables (GET forms; an invalid value is ignored, never an error page)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from recordings.models import Recording
from recordings.selectors import SchoolProgressRow, VisitState
from recordings.selectors.progress import OUTSIDE_FIGURES, TABLE_FIGURES, figure
from schools.models import School

# Sort keys of the school table: (label, key function). Missing dates sort last either way.
_FAR = datetime.date.max


def _figure_key(code: str):
    if code == "completion":
        return lambda r: (r.progress.completion, r.progress.target)
    return lambda r: r.progress.value(code)


# Sortable columns: every figure of the progress tables, by the names defined in FIGURES.
FIGURE_SORTS = {code: (figure(code).label, _figure_key(code)) for code in (*TABLE_FIGURES, *OUTSIDE_FIGURES)}
SORTS = {
    "name": (_("Sekolah"), lambda r: (r.name.lower(), r.npsn)),
    "kecamatan": (_("Kecamatan"), lambda r: (r.kecamatan_name.lower(), r.name.lower())),
    **FIGURE_SORTS,
    "last_visit": (_("Kunjungan terakhir"), lambda r: r.visits.last_visit or datetime.date.min),
    "next_visit": (_("Kunjungan berikutnya"), lambda r: r.visits.next_visit or _FAR),
}
DEFAULT_SORT = "name"
KECAMATAN_SORTS = {
    "name": (_("Kecamatan"), lambda k: k.name.lower()),
    "schools": (_("Sekolah dikunjungi"), lambda k: (k.schools_visited, k.schools)),
    **FIGURE_SORTS,
}
PAGE_SIZE = 50


class ProgressFilterForm(forms.Form):
    kecamatan = forms.TypedChoiceField(label=_("Kecamatan"), required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(
        label=_("Jenjang"), required=False, choices=[("", _("Semua jenjang")), *School.Level.choices]
    )
    status = forms.ChoiceField(
        label=_("Status sekolah"), required=False, choices=[("", _("Negeri & swasta")), *School.Status.choices]
    )
    visit = forms.ChoiceField(
        label=_("Kunjungan"),
        required=False,
        choices=[("", _("Semua")), ("not_visited_any", _("Belum dikunjungi (semua)")), *VisitState.choices],
    )
    below = forms.DecimalField(
        label=_("Capaian di bawah (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    q = forms.CharField(label=_("Cari sekolah atau NPSN"), required=False, max_length=100)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kecamatan_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].choices = [("", _("Semua kecamatan")), *kecamatan_choices]
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif name != "sort":
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.fields["q"].widget.attrs["type"] = "search"

    def values(self) -> dict:
        """Cleaned values; a field with an invalid value counts as empty."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields}


def sort_param(value: str | None, sorts=None, default: str = DEFAULT_SORT) -> tuple[str, bool]:
    """Return (key, descending) from "completion" or "-completion"; unknown keys give the default."""
    sorts = SORTS if sorts is None else sorts
    value = value or default
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in sorts:
        return default, False
    return key, descending


def kecamatan_sort_param(value: str | None) -> tuple[str, bool]:
    return sort_param(value, KECAMATAN_SORTS, default="name")


def filter_rows(rows, values: dict) -> list[SchoolProgressRow]:
    """Apply the filter form's values to school rows (in Python: the rows are already counted)."""
    result = []
    q = " ".join((values.get("q") or "").split()).lower()
    for row in rows:
        if values.get("kecamatan") and row.kecamatan_id != values["kecamatan"]:
            continue
        if values.get("level") and row.level != values["level"]:
            continue
        if values.get("status") and row.status != values["status"]:
            continue
        visit = values.get("visit")
        if visit == "not_visited_any" and row.visited:
            continue
        if visit and visit != "not_visited_any" and row.visit_state != visit:
            continue
        if values.get("below") is not None and row.progress.completion >= values["below"]:
            continue
        if q and q not in row.name.lower() and q not in row.npsn:
            continue
        result.append(row)
    return result


def sort_rows(rows, key: str, descending: bool) -> list[SchoolProgressRow]:
    return sorted(rows, key=SORTS[key][1], reverse=descending)


# Reasons a student is still to record, for the school page's filter.
REASON_CHOICES = [
    ("", _("Semua alasan")),
    ("waiting", _("Belum didata")),
    (Recording.Outcome.ABSENT, Recording.Outcome.ABSENT.label),
    (Recording.Outcome.BIOMETRIC_FAILURE, Recording.Outcome.BIOMETRIC_FAILURE.label),
    (Recording.Outcome.MISSING_DOCUMENTS, Recording.Outcome.MISSING_DOCUMENTS.label),
    (Recording.Outcome.REFUSED, Recording.Outcome.REFUSED.label),
    ("no_nik", _("NIK kosong")),
    ("no_kk", _("No KK kosong")),
]
