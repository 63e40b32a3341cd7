"""The words of a notice to a school about a visit, and the WhatsApp click-to-chat link.

One template (``recordings/notices/message.txt``) gives the text of every kind of notice; the
e-mail's subject is its first line and WhatsApp gets the whole text. The text is always in Bahasa
Indonesia (the schools' language, whatever the language of the staff member's page) and names no
student: only counts. See docs/adr/0029-notices-to-schools.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation

from ektp_drives.phones import is_mobile, whatsapp_number
from recordings.models import Visit, VisitNotice

Kind = VisitNotice.Kind
NOTICE_LANGUAGE = "id"
# Days before the visit each reminder is sent in (a missed cron day still falls inside the window).
REMINDER_WINDOWS = {Kind.REMINDER_7: (2, 7), Kind.REMINDER_1: (1, 1)}
# Indonesia's three time zones, by the names people use.
ZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


# Backends that deliver nowhere: e-mail counts as configured only with a real one (the console
# backend counts while DEBUG is on, for development).
NOWHERE_BACKENDS = ("django.core.mail.backends.dummy.EmailBackend",)
CONSOLE_BACKENDS = ("django.core.mail.backends.console.EmailBackend",)


def email_configured() -> bool:
    """Whether notices go out by e-mail: a real backend (EMAIL_URL), or the console one in development."""
    backend = settings.EMAIL_BACKEND
    if backend in NOWHERE_BACKENDS:
        return False
    return settings.DEBUG or backend not in CONSOLE_BACKENDS


def reminder_due(visit_date: datetime.date, today: datetime.date) -> str | None:
    """The reminder kind due for a visit on ``visit_date`` when today is ``today`` (None: none due)."""
    days = (visit_date - today).days
    for kind, (first, last) in REMINDER_WINDOWS.items():
        if first <= days <= last:
            return kind
    return None


def zone_label() -> str:
    return ZONE_LABELS.get(settings.TIME_ZONE, settings.TIME_ZONE)


def when_text(date: datetime.date, time: datetime.time | None) -> str:
    """``Senin, 7 Desember 2026, pukul 08.00 WIB`` (Indonesian day and month names)."""
    with translation.override(NOTICE_LANGUAGE):
        day = formats.date_format(date, "l, j F Y")
    if time is None:
        return day
    return f"{day}, pukul {time:%H.%M} {zone_label()}"


def school_list_url(visit: Visit) -> str:
    """The school admin's page of their students, as a full address (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("schools:school_students", args=[visit.school.npsn])


def person_name(user) -> str:
    return (user.get_full_name() or user.username).strip()


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice says beyond the visit itself (read before composing)."""

    students: int  # eligible and not yet recorded (Sisa, from the read model)
    team: tuple[str, ...] = ()
    planner: str = ""
    planner_email: str = ""
    previous_date: datetime.date | None = None
    previous_time: datetime.time | None = None
    replacement_date: datetime.date | None = None
    replacement_time: datetime.time | None = None


def notice_message(*, visit: Visit, kind: str, facts: NoticeFacts, today: datetime.date) -> str:
    """The full text of a notice (first line: the title, used as the e-mail subject)."""
    days = (visit.date - today).days
    context = {
        "kind": kind,
        "visit": visit,
        "school": visit.school,
        "facts": facts,
        "when": when_text(visit.date, visit.start_time),
        "previous_when": when_text(facts.previous_date, facts.previous_time) if facts.previous_date else "",
        "replacement_when": (
            when_text(facts.replacement_date, facts.replacement_time) if facts.replacement_date else ""
        ),
        "days": days,
        "reason": _postponement_reason(visit),
        "list_url": school_list_url(visit),
        "office_name": settings.OFFICE_NAME,
        "office_regency": settings.OFFICE_REGENCY,
        "office_contact": settings.OFFICE_CONTACT,
        "team": ", ".join(facts.team),
    }
    with translation.override(NOTICE_LANGUAGE):
        text = render_to_string("recordings/notices/message.txt", context)
    # The template keeps its tags on their own lines; drop the blank runs they leave.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy)


def _postponement_reason(visit: Visit) -> str:
    if not visit.postponement_reason:
        return ""
    with translation.override(NOTICE_LANGUAGE):
        label = str(Visit.PostponementReason(visit.postponement_reason).label)
    return f"{label}: {visit.postponement_note}" if visit.postponement_note else label


def notice_subject(message: str) -> str:
    return message.split("\n", 1)[0]


def whatsapp_url(phone: str, text: str) -> str:
    """``https://wa.me/<number>?text=…``: the number in international digits, the text URL-encoded."""
    return f"https://wa.me/{whatsapp_number(phone)}?text={quote(text, safe='')}"


def whatsapp_possible(phone: str) -> bool:
    return is_mobile(phone)
