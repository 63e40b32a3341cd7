"""Pieces shared by the visit views: the roster rows, outcome buttons and API-style login checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recordings.models import Recording, Visit
from recordings.selectors import visit_recordings_by_student
from schools.models import Student

Outcome = Recording.Outcome

# The one-tap buttons, in the order operators use them; "not eligible" needs a reason and sits apart.
OUTCOME_BUTTONS = [
    (Outcome.RECORDED, gettext_lazy("Terekam"), "success"),
    (Outcome.ALREADY_RECORDED, gettext_lazy("Sudah rekam"), "success"),
    (Outcome.ABSENT, gettext_lazy("Tidak hadir"), "secondary"),
    (Outcome.BIOMETRIC_FAILURE, gettext_lazy("Gagal rekam"), "warning"),
    (Outcome.MISSING_DOCUMENTS, gettext_lazy("Tanpa KK"), "warning"),
    (Outcome.REFUSED, gettext_lazy("Menolak"), "danger"),
]
# The roster's one-row button set on a phone: a short visible label; the accessible name is the full
# label and contains the short one (WCAG "label in name"), so voice control finds the button.
SHORT_LABELS = {
    Outcome.RECORDED: gettext_lazy("Rekam"),
    Outcome.ALREADY_RECORDED: gettext_lazy("Sudah"),
    Outcome.ABSENT: gettext_lazy("Absen"),
    Outcome.BIOMETRIC_FAILURE: gettext_lazy("Gagal"),
    Outcome.MISSING_DOCUMENTS: gettext_lazy("Tnp KK"),
    Outcome.REFUSED: gettext_lazy("Tolak"),
}


def roster_buttons() -> list[tuple[str, str, str, str, str]]:
    """(code, full label, style, short label, accessible name) per outcome button, in the active language."""
    buttons = []
    for code, label, style in OUTCOME_BUTTONS:
        full, short = str(label), str(SHORT_LABELS[code])
        name = full if short.lower() in full.lower() else f"{full} ({short})"
        buttons.append((code, full, style, short, name))
    return buttons


OUTCOME_STYLE = {
    Outcome.RECORDED: "success",
    Outcome.ALREADY_RECORDED: "success",
    Outcome.ABSENT: "secondary",
    Outcome.BIOMETRIC_FAILURE: "warning",
    Outcome.MISSING_DOCUMENTS: "warning",
    Outcome.REFUSED: "danger",
    Outcome.NOT_ELIGIBLE: "dark",
}
OUTCOME_LABELS = dict(Outcome.choices)
SETTLED = {*Recording.DONE_OUTCOMES, Outcome.NOT_ELIGIBLE}


@dataclass
class RosterItem:
    """One student on a visit page, with this visit's outcome and the latest earlier one."""

    student: Student
    recording: Recording | None

    @property
    def outcome(self) -> str:
        return getattr(self.student, "visit_outcome", None) or ""

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, "")

    @property
    def outcome_style(self) -> str:
        return OUTCOME_STYLE.get(self.outcome, "light")

    @property
    def earlier_outcome(self) -> str:
        return getattr(self.student, "earlier_outcome", None) or ""

    @property
    def earlier_label(self) -> str:
        return OUTCOME_LABELS.get(self.earlier_outcome, "")

    @property
    def earlier_style(self) -> str:
        return OUTCOME_STYLE.get(self.earlier_outcome, "light")

    @property
    def remaining(self) -> bool:
        """Still to be recorded in the drive (no outcome, or one to follow up)."""
        return (getattr(self.student, "latest_outcome", None) or "") not in SETTLED

    @property
    def nik_last4(self) -> str:
        return self.student.nik[-4:] if self.student.nik else ""

    @property
    def search_text(self) -> str:
        return " ".join([self.student.name.casefold(), self.student.nisn, self.nik_last4])


def roster_items(visit: Visit, students) -> list[RosterItem]:
    recordings = visit_recordings_by_student(visit)
    return [RosterItem(student=s, recording=recordings.get(s.pk)) for s in students]


def roster_item(visit: Visit, student: Student, *, recording: Recording | None = None, by=None) -> RosterItem:
    """One student's row after a tap, from one light query (the student's outcomes in the drive).

    Pass the current ``recording`` and who made it (``by``) when known: no query for the user.
    """
    outcomes = list(
        Recording.objects.filter(student=student, visit__drive_id=visit.drive_id)
        .order_by("-recorded_at", "-pk")
        .values("visit_id", "outcome", "recorded_at")
    )
    here = next((r for r in outcomes if r["visit_id"] == visit.pk), None)
    earlier = next((r for r in outcomes if r["visit_id"] != visit.pk), None)
    student.visit_outcome = here["outcome"] if here else None
    student.latest_outcome = outcomes[0]["outcome"] if outcomes else None
    student.earlier_outcome = earlier["outcome"] if earlier else None
    student.earlier_at = earlier["recorded_at"] if earlier else None
    if here is None:
        recording = None
    elif recording is None or by is None or recording.recorded_by_id != getattr(by, "pk", None):
        recording = Recording.objects.filter(visit=visit, student=student).select_related("recorded_by").first()
    else:
        recording.recorded_by = by
    return RosterItem(student=student, recording=recording)


def wants_fragment(request) -> bool:
    return bool(getattr(request, "htmx", False)) or request.content_type == "application/json"


def login_required_fragment(view):
    """Like login_required, but a script's request gets 401 instead of the login page's HTML,
    so the page can keep the tap in its queue and ask the user to sign in again."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if request.content_type == "application/json":
                return JsonResponse({"error": _("Sesi berakhir. Silakan masuk lagi.")}, status=401)
            if getattr(request, "htmx", False):
                return HttpResponse(_("Sesi berakhir. Silakan masuk lagi."), status=401)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


TALLY_LABELS = {code: label for code, label, _style in OUTCOME_BUTTONS} | {
    Outcome.NOT_ELIGIBLE: gettext_lazy("Tidak memenuhi syarat")
}


def tally_items(tallies) -> list[tuple[str, str, int, str]]:
    """The visit's counts per outcome (short labels) with their badge colours, in the outcomes' order."""
    return [
        (code, TALLY_LABELS.get(code, label), n, OUTCOME_STYLE.get(code, "light")) for code, label, n in tallies.items
    ]


def outcome_labels_json() -> str:
    return json.dumps({code: str(label) for code, label in OUTCOME_LABELS.items()})
