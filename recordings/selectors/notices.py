"""Reads for notices to schools: who can be told, what a notice says, which reminders are due, the log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ektp_drives.phones import is_mobile, normalize_phone
from recordings.models import Drive, Visit, VisitNotice
from recordings.notices import NoticeFacts, email_configured, person_name, reminder_due
from recordings.permissions import can_send_school_notice, visits_visible_to
from recordings.selectors.progress import drive_tallies
from schools.models import School, SchoolAdmin
from schools.roles import is_dukcapil_staff

Kind = VisitNotice.Kind
# Notices shown on the school admin's home page.
HOME_NOTICES_SHOWN = 5


def email_is_valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def school_email_recipients(school_ids) -> dict[int, list[str]]:
    """{school id: the e-mail addresses of its active school admins} (valid addresses only, one query)."""
    found: dict[int, list[str]] = {}
    rows = (
        SchoolAdmin.objects.filter(school_id__in=list(school_ids), user__is_active=True)
        .exclude(user__email="")
        .order_by("school_id", "user__email")
        .values_list("school_id", "user__email")
    )
    for school_id, email in rows:
        email = email.strip()
        if email_is_valid(email) and email not in found.setdefault(school_id, []):
            found[school_id].append(email)
    return found


def notice_facts(
    visit: Visit,
    *,
    by=None,
    previous_date: datetime.date | None = None,
    previous_time: datetime.time | None = None,
    today: datetime.date | None = None,
) -> NoticeFacts:
    """The counts and names a notice about ``visit`` gives (three queries at most)."""
    progress = drive_tallies(visit.drive, schools=[visit.school_id], today=today).get(visit.school_id)
    team = tuple(person_name(u) for u in visit.team.order_by("first_name", "username"))
    planner = by if by is not None and is_dukcapil_staff(by) else visit.created_by
    replacement = None
    if visit.status == Visit.Status.POSTPONED:
        replacement = (
            Visit.objects.filter(replaces=visit, status=Visit.Status.PLANNED).order_by("-created_at", "-pk").first()
        )
    return NoticeFacts(
        students=max(progress.remaining, 0) if progress else 0,
        team=team,
        planner=person_name(planner) if planner else "",
        planner_email=(planner.email or "") if planner else "",
        previous_date=previous_date,
        previous_time=previous_time,
        replacement_date=replacement.date if replacement else None,
        replacement_time=replacement.start_time if replacement else None,
    )


def visits_due_reminders(*, today: datetime.date) -> QuerySet[Visit]:
    """Planned visits inside a reminder window (1 to 7 days ahead); never a past, postponed or cancelled one."""
    return (
        Visit.objects.filter(
            status=Visit.Status.PLANNED,
            date__gte=today + datetime.timedelta(days=1),
            date__lte=today + datetime.timedelta(days=7),
        )
        .select_related("school", "drive", "created_by")
        .order_by("date", "pk")
    )


@dataclass(frozen=True)
class WhatsAppOption:
    """A click-to-chat button on the visit page: the kind of notice and, for a change, the old date."""

    kind: str
    label: str
    previous_date: datetime.date | None = None
    previous_time: datetime.time | None = None
    sent: VisitNotice | None = None  # the latest tap of this kind, if any


@dataclass(frozen=True)
class VisitNoticePanel:
    """What the visit page shows about telling the school."""

    notices: list[VisitNotice]
    phone: str  # the school's contact number as entered
    phone_mobile: bool
    phone_valid: bool
    emails: list[str]
    email_on: bool
    whatsapp: list[WhatsAppOption] = field(default_factory=list)
    can_send: bool = False


def whatsapp_options(visit: Visit, notices: list[VisitNotice], *, today: datetime.date) -> list[WhatsAppOption]:
    """The notices staff can send by WhatsApp now: the visit's latest news, and the reminder due today."""
    latest_tap = {}
    for notice in notices:  # newest first
        if notice.channel == VisitNotice.Channel.WHATSAPP:
            latest_tap.setdefault(notice.kind, notice)
    options = []
    if visit.status == Visit.Status.PLANNED and visit.date >= today:
        previous_date = previous_time = None
        change = next((n for n in notices if n.kind == Kind.RESCHEDULED and n.previous_date), None)
        if change is not None:  # the latest change the school was told about
            previous_date = change.previous_date
        elif visit.replaces_id:
            previous_date, previous_time = visit.replaces.date, visit.replaces.start_time
        kind = Kind.RESCHEDULED if previous_date else Kind.PLANNED
        options.append(WhatsAppOption(kind, Kind(kind).label, previous_date, previous_time, sent=latest_tap.get(kind)))
        due = reminder_due(visit.date, today)
        if due:
            options.append(WhatsAppOption(due, Kind(due).label, sent=latest_tap.get(due)))
    elif visit.status == Visit.Status.POSTPONED:
        options.append(WhatsAppOption(Kind.POSTPONED, Kind.POSTPONED.label, sent=latest_tap.get(Kind.POSTPONED)))
    elif visit.status == Visit.Status.CANCELLED:
        options.append(WhatsAppOption(Kind.CANCELLED, Kind.CANCELLED.label, sent=latest_tap.get(Kind.CANCELLED)))
    return options


def visit_notices(visit: Visit) -> list[VisitNotice]:
    """The visit's notice log, newest first, with who sent each (one query)."""
    return list(VisitNotice.objects.filter(visit=visit).select_related("by").order_by("-created_at", "-pk"))


def visit_notice_panel(visit: Visit, *, user, today: datetime.date | None = None) -> VisitNoticePanel:
    """The visit page's notice section (three queries: the log, the school's e-mails, the replaced visit)."""
    today = today or timezone.localdate()
    notices = visit_notices(visit)
    phone = visit.school.contact_phone.strip()
    try:
        normalize_phone(phone)
        phone_valid = True
    except ValidationError:
        phone_valid = False
    return VisitNoticePanel(
        notices=notices,
        phone=phone,
        phone_mobile=is_mobile(phone),
        phone_valid=phone_valid,
        emails=school_email_recipients([visit.school_id]).get(visit.school_id, []),
        email_on=email_configured(),
        whatsapp=whatsapp_options(visit, notices, today=today),
        can_send=can_send_school_notice(user, visit),
    )


@dataclass(frozen=True)
class SchoolContactProblem:
    """A school of a drive that the app cannot tell about its visits."""

    school: School
    phone: str
    phone_problem: str  # "missing", "invalid" or "landline"


def drive_schools_without_contact(drive: Drive) -> list[SchoolContactProblem]:
    """The drive's schools with neither a mobile (WhatsApp) number nor a school admin e-mail (two queries)."""
    schools = list(
        School.objects.filter(drive_links__drive=drive)
        .annotate(
            has_admin=Exists(
                SchoolAdmin.objects.filter(school=OuterRef("pk"), user__is_active=True).exclude(user__email="")
            )
        )
        .only("pk", "name", "npsn", "contact_phone")
        .order_by("name", "pk")
    )
    emails = school_email_recipients([s.pk for s in schools if s.has_admin])
    problems = []
    for school in schools:
        phone = school.contact_phone.strip()
        if is_mobile(phone) or emails.get(school.pk):
            continue
        if not phone:
            problem = "missing"
        else:
            try:
                normalize_phone(phone)
                problem = "landline"
            except ValidationError:
                problem = "invalid"
        problems.append(SchoolContactProblem(school=school, phone=phone, phone_problem=problem))
    return problems


def notices_visible_to(user) -> QuerySet[VisitNotice]:
    """Staff: every notice. A school admin: their own schools' notices only."""
    return VisitNotice.objects.filter(visit__in=visits_visible_to(user).order_by().values("pk"))


def school_admin_notices(user, *, limit: int = HOME_NOTICES_SHOWN) -> list[VisitNotice]:
    """The latest notices sent to the user's schools (one query)."""
    return list(
        notices_visible_to(user)
        .exclude(status=VisitNotice.Status.PENDING)
        .select_related("visit__school")
        .order_by("-created_at", "-pk")[:limit]
    )
