"""Notices to schools: the text, e-mail per kind after commit, reminders, WhatsApp taps and the log."""

from __future__ import annotations

import datetime
import re
import smtplib
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import Visit, VisitNotice
from recordings.notices import NoticeFacts, notice_message, reminder_due, whatsapp_url
from recordings.selectors.notices import drive_schools_without_contact
from recordings.services import notices as notice_services
from schools.forms import SchoolAdminCreateForm
from tests.factories import (
    DriveFactory,
    KitFactory,
    OperatorFactory,
    RecordingFactory,
    SchoolAdminUserFactory,
    SchoolFactory,
    StudentFactory,
    SupervisorFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

Kind = VisitNotice.Kind
Status = VisitNotice.Status
TODAY = datetime.date(2026, 12, 1)  # a Tuesday
MONDAY = datetime.date(2026, 12, 7)
QUERIES_VISIT_PAGE = 18  # 16 of the page (its kits and capacity included), plus the notice log and e-mail addresses
QUERIES_PLANNING_PAGE = 19  # 17 of the page (kits, trips), plus the schools without a contact (two)


class FailingBackend(BaseEmailBackend):
    """An SMTP server that refuses every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"mailbox unavailable")})


@pytest.fixture
def today(monkeypatch):
    """Freeze the app's "today" (local date) at TODAY; timezone.now stays real."""
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, timezone=None: TODAY if value is None else _local(value)
    )
    return TODAY


def _local(value):
    return value.astimezone(datetime.timezone(datetime.timedelta(hours=7))).date()


@pytest.fixture
def school(db):
    return SchoolFactory(
        name="SMA Negeri 1 Contoh", npsn="10500313", contact_name="Bu Rina", contact_phone="0812-3456-7890"
    )


@pytest.fixture
def admin(school):
    return SchoolAdminUserFactory(username="sekolah-10500313", school=school, email="operator@sman1.sch.id")


@pytest.fixture
def planner(db):
    return SupervisorFactory(username="dukcapil", first_name="Budi", last_name="Santoso", email="budi@dukcapil.example")


@pytest.fixture
def drive(school):
    return DriveFactory(
        start_date=datetime.date(2026, 11, 1),
        end_date=datetime.date(2026, 12, 31),
        reference_date=datetime.date(2026, 12, 31),
        schools=[school],
    )


@pytest.fixture
def students(school):
    """Three eligible students, one already recorded: two are expected at the visit."""
    roster = [StudentFactory(school=school, name=f"Peserta Rahasia {i}") for i in range(3)]
    return roster


def plan(drive, school, planner, date=MONDAY, **kwargs):
    kwargs.setdefault("kits", [KitFactory()])
    return services.visit_schedule(drive=drive, school=school, date=date, by=planner, **kwargs)


# --- the text --------------------------------------------------------------------------------


def test_planned_text_names_day_time_school_count_what_to_bring_contact_and_link(
    settings, drive, school, planner, students, today
):
    settings.SITE_URL = "https://ektp.example.go.id/"
    settings.OFFICE_CONTACT = "0743-21234 (Dukcapil)"
    done_visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 11, 20), status=Visit.Status.DONE)
    RecordingFactory(visit=done_visit, student=students[0])
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED, created_by=planner)
    visit.start_time = datetime.time(9, 30)
    facts = notice_services.notice_facts(visit, by=planner, today=today)
    text = notice_message(visit=visit, kind=Kind.PLANNED, facts=facts, today=today)
    assert (
        text.splitlines()[0]
        == "Jadwal perekaman KTP-el di SMA Negeri 1 Contoh: Senin, 7 Desember 2026, pukul 09.30 WIB"
    )
    assert "Peserta didik yang akan direkam: 2 orang" in text
    assert "fotokopi Kartu Keluarga (KK)" in text
    assert "https://ektp.example.go.id/sekolah/10500313/peserta-didik/" in text
    assert "Narahubung: Budi Santoso (budi@dukcapil.example)" in text
    assert "0743-21234 (Dukcapil)" in text
    for student in students:  # no personal data of students
        assert student.name not in text and student.nik not in text and student.nisn not in text


def test_count_is_written_the_indonesian_way(drive, school, today):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    text = notice_message(visit=visit, kind=Kind.REMINDER_7, facts=NoticeFacts(students=2100), today=today)
    assert "2.100 orang" in text
    assert text.splitlines()[0].startswith("Pengingat: perekaman KTP-el di SMA Negeri 1 Contoh 6 hari lagi, Senin")


def test_reminder_windows():
    visit_day = MONDAY
    assert reminder_due(visit_day, visit_day - datetime.timedelta(days=8)) is None
    assert reminder_due(visit_day, visit_day - datetime.timedelta(days=7)) == Kind.REMINDER_7
    assert reminder_due(visit_day, visit_day - datetime.timedelta(days=2)) == Kind.REMINDER_7
    assert reminder_due(visit_day, visit_day - datetime.timedelta(days=1)) == Kind.REMINDER_1
    assert reminder_due(visit_day, visit_day) is None
    assert reminder_due(visit_day, visit_day + datetime.timedelta(days=1)) is None


def test_whatsapp_url_has_the_international_number_and_the_whole_text_encoded():
    text = "Jadwal: Senin, 7 Desember 2026 & 08.00 WIB\nDaftar: https://x.example/?a=1#b 100%"
    url = whatsapp_url("0812-3456-7890", text)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281234567890")
    assert " " not in url and "\n" not in url and "&" not in parts.query and "#" not in url
    assert parts.query.startswith("text=Jadwal%3A%20Senin%2C%207%20Desember")
    assert "%0A" in parts.query and "%26" in parts.query and "%25" in parts.query
    assert unquote(parts.query.removeprefix("text=")) == text
    assert parse_qs(parts.query)["text"] == [text]


# --- e-mail after commit, per kind -----------------------------------------------------------


def test_planning_emails_each_school_admin_after_commit(
    drive, school, admin, planner, students, today, django_capture_on_commit_callbacks
):
    SchoolAdminUserFactory(school=school, email="kepala@sman1.sch.id")
    SchoolAdminUserFactory(school=school, email="")  # no address: nobody to write to
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        visit = plan(drive, school, planner)
    assert mail.outbox == [] and len(callbacks) == 1  # nothing before the commit
    callbacks[0]()
    assert sorted(m.to[0] for m in mail.outbox) == ["kepala@sman1.sch.id", "operator@sman1.sch.id"]
    message = mail.outbox[0]
    assert message.subject == "Jadwal perekaman KTP-el di SMA Negeri 1 Contoh: Senin, 7 Desember 2026, pukul 08.00 WIB"
    assert "Peserta didik yang akan direkam: 3 orang" in message.body
    notices = list(VisitNotice.objects.filter(visit=visit).order_by("recipient"))
    assert [(n.kind, n.channel, n.recipient, n.status, n.by) for n in notices] == [
        (Kind.PLANNED, "email", "kepala@sman1.sch.id", Status.SENT, planner),
        (Kind.PLANNED, "email", "operator@sman1.sch.id", Status.SENT, planner),
    ]
    assert all(n.sent_at and n.message == message.body for n in notices)


def test_reschedule_says_old_and_new_date_and_nothing_when_the_date_stays(
    drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = plan(drive, school, planner)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_reschedule(
            visit=visit, date=datetime.date(2026, 12, 10), kits=KitFactory.create_batch(2), by=planner
        )
    (message,) = mail.outbox
    assert message.subject.startswith(
        "Perubahan jadwal perekaman KTP-el di SMA Negeri 1 Contoh: Kamis, 10 Desember 2026"
    )
    assert "Semula: Senin, 7 Desember 2026, pukul 08.00 WIB" in message.body
    assert "Menjadi: Kamis, 10 Desember 2026, pukul 08.00 WIB" in message.body
    notice = VisitNotice.objects.get(visit=visit, kind=Kind.RESCHEDULED)
    assert (notice.previous_date, notice.visit_date) == (MONDAY, datetime.date(2026, 12, 10))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # only the kits change
        services.visit_reschedule(
            visit=visit, date=datetime.date(2026, 12, 10), kits=KitFactory.create_batch(3), by=planner
        )
    assert mail.outbox == []


def test_postponed_gives_the_reason_and_that_a_new_date_follows(
    drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_postpone(visit=visit, reason=Visit.PostponementReason.POWER_CUT, note="Trafo rusak", by=planner)
    (message,) = mail.outbox
    assert message.subject == "Perekaman KTP-el di SMA Negeri 1 Contoh ditunda"
    assert "Alasan: Listrik padam: Trafo rusak" in message.body
    assert "Tanggal baru akan kami sampaikan kemudian." in message.body
    assert "Senin, 7 Desember 2026" in message.body


def test_postponed_with_a_new_date_names_it_and_the_new_visit_says_old_to_new(
    drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    with django_capture_on_commit_callbacks(execute=True):
        _old, new = services.visit_postpone(
            visit=visit, reason=Visit.PostponementReason.ROAD, new_date=datetime.date(2026, 12, 14), by=planner
        )
    postponed, moved = mail.outbox
    assert "Jadwal pengganti: Senin, 14 Desember 2026, pukul 08.00 WIB." in postponed.body
    assert moved.subject.startswith("Perubahan jadwal")
    assert "Semula: Senin, 7 Desember 2026" in moved.body
    assert VisitNotice.objects.get(visit=new).kind == Kind.RESCHEDULED


def test_cancelled_has_its_own_notice(drive, school, admin, planner, today, django_capture_on_commit_callbacks):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_cancel(visit=visit, by=planner)
    (message,) = mail.outbox
    assert message.subject == "Perekaman KTP-el di SMA Negeri 1 Contoh dibatalkan"
    assert "DIBATALKAN" in message.body and "fotokopi" not in message.body
    assert VisitNotice.objects.get(visit=visit).kind == Kind.CANCELLED


def test_replan_of_a_postponed_visit_tells_old_to_new(
    drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    visit = VisitFactory(
        drive=drive, school=school, date=MONDAY, status=Visit.Status.POSTPONED, postponement_reason="power_cut"
    )
    with django_capture_on_commit_callbacks(execute=True):
        new = services.visit_replan(
            visit=visit, date=datetime.date(2026, 12, 9), kits=KitFactory.create_batch(1), by=planner
        )
    (message,) = mail.outbox
    assert "Semula: Senin, 7 Desember 2026" in message.body and "Rabu, 9 Desember 2026" in message.body
    assert VisitNotice.objects.get(visit=new).previous_date == MONDAY


def test_a_failing_mail_server_is_logged_on_the_notice_and_planning_still_succeeds(
    settings, drive, school, admin, planner, today, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        visit = plan(drive, school, planner)
    assert Visit.objects.filter(pk=visit.pk, status=Visit.Status.PLANNED).exists()
    notice = VisitNotice.objects.get(visit=visit)
    assert notice.status == Status.FAILED and "SMTPRecipientsRefused" in notice.error and notice.sent_at is None
    assert "failed" in caplog.text


def test_a_broken_notice_never_breaks_the_planning_action(
    monkeypatch, drive, school, admin, planner, today, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(notice_services, "visit_notice_send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        visit = plan(drive, school, planner)
    assert visit.pk and "could not be prepared" in caplog.text


def test_no_email_without_a_configured_backend(
    settings, drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = False  # production without EMAIL_URL: the console is not a mail server
    with django_capture_on_commit_callbacks(execute=True):
        visit = plan(drive, school, planner)
    assert not VisitNotice.objects.filter(visit=visit).exists()


# --- reminders -------------------------------------------------------------------------------


def reminders(on: datetime.date) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_visit_reminders", date=on.isoformat(), stdout=out)
    return out.getvalue()


def test_reminders_7_and_1_day_before_each_once(drive, school, admin):
    visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 14), status=Visit.Status.PLANNED)
    assert reminders(datetime.date(2026, 12, 6)) == "0 pengingat terkirim, 0 gagal.\n"  # 8 days before
    assert reminders(datetime.date(2026, 12, 7)).startswith("1 pengingat terkirim")
    assert reminders(datetime.date(2026, 12, 7)).startswith("0 pengingat terkirim")  # again: nothing
    assert reminders(datetime.date(2026, 12, 8)).startswith("0 pengingat terkirim")  # the 7-day one is sent
    assert reminders(datetime.date(2026, 12, 13)).startswith("1 pengingat terkirim")
    assert reminders(datetime.date(2026, 12, 13)).startswith("0 pengingat terkirim")
    assert reminders(datetime.date(2026, 12, 14)).startswith("0 pengingat terkirim")  # the day itself
    assert reminders(datetime.date(2026, 12, 15)).startswith("0 pengingat terkirim")  # past
    assert [m.subject.split(",")[0] for m in mail.outbox] == [
        "Pengingat: perekaman KTP-el di SMA Negeri 1 Contoh 7 hari lagi",
        "Pengingat: perekaman KTP-el di SMA Negeri 1 Contoh besok",
    ]
    kinds = list(VisitNotice.objects.filter(visit=visit).order_by("pk").values_list("kind", "status", "by"))
    assert kinds == [(Kind.REMINDER_7, Status.SENT, None), (Kind.REMINDER_1, Status.SENT, None)]


def test_a_missed_cron_day_still_sends_but_never_for_a_past_visit(drive, school, admin):
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 14), status=Visit.Status.PLANNED)
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 4), status=Visit.Status.PLANNED)  # passed
    # Cron was down on the 7th (7 days before): the 8th still sends the 7-day reminder.
    assert reminders(datetime.date(2026, 12, 8)).startswith("1 pengingat terkirim")
    assert "6 hari lagi" in mail.outbox[0].subject and "14 Desember" in mail.outbox[0].subject
    assert reminders(datetime.date(2026, 12, 13)).startswith("1 pengingat terkirim")
    assert len(mail.outbox) == 2


def test_postponed_and_cancelled_visits_get_no_reminder(drive, school, admin):
    day = datetime.date(2026, 12, 8)
    VisitFactory(drive=drive, school=school, date=day, status=Visit.Status.POSTPONED, postponement_reason="road")
    VisitFactory(drive=drive, school=school, date=day, status=Visit.Status.CANCELLED)
    VisitFactory(drive=drive, school=school, date=day, status=Visit.Status.IN_PROGRESS)
    assert reminders(datetime.date(2026, 12, 7)).startswith("0 pengingat terkirim")
    assert reminders(datetime.date(2026, 12, 1)).startswith("0 pengingat terkirim")
    assert mail.outbox == []


def test_the_database_refuses_a_second_reminder_row(drive, school):
    from django.db import IntegrityError, transaction

    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    row = {"visit": visit, "kind": Kind.REMINDER_1, "channel": "email", "recipient": "a@b.id", "visit_date": MONDAY}
    VisitNotice.objects.create(message="x", **row)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitNotice.objects.create(message="y", **row)
    # A WhatsApp tap may be repeated; an e-mail event notice too.
    VisitNotice.objects.create(message="z", **(row | {"kind": Kind.PLANNED}))
    VisitNotice.objects.create(message="z", **(row | {"kind": Kind.PLANNED}))


def test_a_failed_reminder_exits_non_zero_and_is_logged(settings, drive, school, admin):
    from django.core.management.base import CommandError

    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 8), status=Visit.Status.PLANNED)
    with pytest.raises(CommandError, match="1 pengingat gagal"):
        reminders(datetime.date(2026, 12, 7))
    notice = VisitNotice.objects.get()
    assert notice.status == Status.FAILED and notice.error


# --- WhatsApp click-to-chat -------------------------------------------------------------------


def whatsapp_post(client, visit, kind):
    return client.post(reverse("visit_notice_whatsapp", args=[visit.pk]), {"kind": kind})


def test_the_whatsapp_tap_is_logged_with_who_and_answers_303_to_wa_me(client, drive, school, planner, today):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    client.force_login(planner)
    response = whatsapp_post(client, visit, Kind.PLANNED)
    assert response.status_code == 303
    parts = urlsplit(response["Location"])
    assert (parts.netloc, parts.path) == ("wa.me", "/6281234567890")
    text = parse_qs(parts.query)["text"][0]
    assert text.startswith("Jadwal perekaman KTP-el di SMA Negeri 1 Contoh: Senin, 7 Desember 2026")
    notice = VisitNotice.objects.get(visit=visit)
    assert (notice.kind, notice.channel, notice.recipient, notice.status, notice.by) == (
        Kind.PLANNED,
        "whatsapp",
        "+6281234567890",
        Status.SENT,
        planner,
    )
    assert notice.message == text and notice.sent_at


def test_the_due_reminder_can_be_sent_by_whatsapp_and_others_cannot(client, drive, school, today):
    operator = OperatorFactory()
    visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 2), status=Visit.Status.PLANNED)
    client.force_login(operator)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert 'data-testid="whatsapp-reminder_1"' in html and 'data-testid="whatsapp-reminder_7"' not in html
    assert whatsapp_post(client, visit, Kind.REMINDER_7).status_code == 303  # not due: back to the page
    assert not VisitNotice.objects.exists()
    response = whatsapp_post(client, visit, Kind.REMINDER_1)
    assert response["Location"].startswith("https://wa.me/6281234567890?text=Pengingat%3A")
    assert VisitNotice.objects.get().by == operator


def test_school_admins_cannot_send_and_other_schools_get_404(client, drive, school, admin, today):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    other_admin = SchoolAdminUserFactory(school=SchoolFactory())
    client.force_login(admin)
    assert whatsapp_post(client, visit, Kind.PLANNED).status_code == 403
    client.force_login(other_admin)
    assert whatsapp_post(client, visit, Kind.PLANNED).status_code == 404
    assert client.get(reverse("visit_notice_whatsapp", args=[visit.pk])).status_code == 405
    assert not VisitNotice.objects.exists()


@pytest.mark.parametrize(
    ("phone", "testid"),
    [("0743-21234", "whatsapp-landline"), ("12345", "whatsapp-invalid"), ("", "whatsapp-missing")],
)
def test_a_landline_or_missing_number_has_no_button_and_a_clear_note(
    client, drive, school, planner, today, phone, testid
):
    school.contact_phone = phone
    school.save()
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    client.force_login(planner)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert f'data-testid="{testid}"' in html and 'data-testid="whatsapp-planned"' not in html
    response = whatsapp_post(client, visit, Kind.PLANNED)
    assert response.status_code == 303 and response["Location"] == reverse("visit_detail", args=[visit.pk])
    assert not VisitNotice.objects.exists()


def test_postponed_and_cancelled_visits_offer_only_their_own_notice(client, drive, school, planner, today):
    postponed = VisitFactory(
        drive=drive, school=school, date=datetime.date(2026, 12, 2), status="postponed", postponement_reason="road"
    )
    cancelled = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 12, 3), status="cancelled")
    client.force_login(planner)
    for visit, kind in ((postponed, Kind.POSTPONED), (cancelled, Kind.CANCELLED)):
        html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
        buttons = re.findall(r'data-testid="whatsapp-([a-z_0-9]+)"', html)
        assert buttons == [kind]
        assert whatsapp_post(client, visit, Kind.REMINDER_1)["Location"] == reverse("visit_detail", args=[visit.pk])
        assert whatsapp_post(client, visit, kind)["Location"].startswith("https://wa.me/")


# --- the log on the visit page and the home page ----------------------------------------------


def test_visit_page_shows_the_log_and_school_admins_see_only_their_own(client, drive, school, admin, planner, today):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    other = VisitFactory(drive=drive, school=SchoolFactory(name="SMK Lain"), date=MONDAY, status="planned")
    for v, to in ((visit, "operator@sman1.sch.id"), (other, "rahasia@lain.sch.id")):
        VisitNotice.objects.create(
            visit=v,
            kind=Kind.PLANNED,
            channel="email",
            recipient=to,
            visit_date=MONDAY,
            message="x",
            status=Status.SENT,
            sent_at=timezone.now(),
            by=planner,
        )
    client.force_login(planner)
    whatsapp_post(client, visit, Kind.PLANNED)
    client.force_login(admin)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    rows = re.findall(r'<tr data-testid="notice-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    assert "WhatsApp" in rows[0] and "+6281234567890" in rows[0] and "Budi Santoso" in rows[0]
    assert "operator@sman1.sch.id" in rows[1] and "Terkirim" in rows[1]
    assert "rahasia@lain.sch.id" not in html and 'data-testid="whatsapp-planned"' not in html
    home = client.get(reverse("home")).content.decode()
    listed = re.findall(r'<li class="mb-1" data-testid="home-notice">(.*?)</li>', home, re.S)
    assert len(listed) == 2 and "+6281234567890" in listed[0] and "operator@sman1.sch.id" in listed[1]
    assert "rahasia@lain.sch.id" not in home and "SMK Lain" not in home
    assert client.get(reverse("visit_detail", args=[other.pk])).status_code == 404


def test_visit_page_queries_do_not_grow_with_notices(
    client, drive, school, planner, today, django_assert_max_num_queries
):
    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    StudentFactory(school=school)
    client.force_login(planner)
    client.get(reverse("visit_detail", args=[visit.pk]))  # the session and the user's role, once
    for round_ in range(2):
        for i in range(10):
            SchoolAdminUserFactory(school=school, email=f"admin{round_}{i}@sekolah.sch.id")
            VisitNotice.objects.create(
                visit=visit,
                kind=Kind.PLANNED,
                channel="whatsapp",
                recipient="+6281234567890",
                visit_date=MONDAY,
                message="x",
                status=Status.SENT,
                sent_at=timezone.now(),
                by=SupervisorFactory(),
            )
        with django_assert_max_num_queries(QUERIES_VISIT_PAGE):
            html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
        assert html.count('data-testid="notice-row"') == 10 * (round_ + 1)


def test_planning_page_queries_do_not_grow_with_schools(client, drive, planner, django_assert_max_num_queries):
    client.force_login(planner)
    for round_ in range(2):
        for i in range(5):
            s = SchoolFactory(contact_phone="" if i < 3 else "0743 21234")  # three: no number, no e-mail
            drive.drive_schools.create(school=s)
            SchoolAdminUserFactory(school=s, email="" if i < 3 else f"tu{round_}{i}@sekolah.sch.id")
        with django_assert_max_num_queries(QUERIES_PLANNING_PAGE):
            html = client.get(reverse("drive_detail", args=[drive.pk])).content.decode()
        assert html.count('data-testid="contactless-school"') == 3 * (round_ + 1)


# --- contacts ----------------------------------------------------------------------------------


def test_planning_page_lists_schools_that_cannot_be_told(client, drive, school, admin, planner):
    by_email = SchoolFactory(name="SMA Surel", contact_phone="")
    SchoolAdminUserFactory(school=by_email, email="tu@surel.sch.id")
    landline = SchoolFactory(name="SMA Telepon Kantor", contact_phone="(0743) 21234")
    wrong = SchoolFactory(name="SMA Nomor Salah", contact_phone="08-12")
    nothing = SchoolFactory(name="SMA Tanpa Kontak", contact_phone="")
    SchoolAdminUserFactory(school=nothing, email="")
    for s in (by_email, landline, wrong, nothing):
        drive.drive_schools.create(school=s)
    assert [(p.school.name, p.phone_problem) for p in drive_schools_without_contact(drive)] == [
        ("SMA Nomor Salah", "invalid"),
        ("SMA Tanpa Kontak", "missing"),
        ("SMA Telepon Kantor", "landline"),
    ]
    client.force_login(planner)
    html = client.get(reverse("drive_detail", args=[drive.pk])).content.decode()
    listed = re.findall(r'<li data-testid="contactless-school">(.*?)</li>', html, re.S)
    assert len(listed) == 3
    assert "SMA Tanpa Kontak" in listed[1] and "belum ada nomor telepon" in listed[1]
    assert (
        "telepon kantor" in listed[2]
        and "SMA Surel" not in html.split('data-testid="planning-contacts"')[1].split("</section>")[0]
    )


def test_school_admin_account_form_refuses_a_malformed_email(school):
    form = SchoolAdminCreateForm(
        data={"school": school.pk, "full_name": "Rina", "username": "sekolah-baru", "email": "rina@@sekolah"}
    )
    assert not form.is_valid()
    assert form.errors["email"]


def test_after_a_change_of_date_the_whatsapp_button_sends_the_change(
    client, drive, school, admin, planner, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        visit = plan(drive, school, planner)
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_reschedule(
            visit=visit, date=datetime.date(2026, 12, 10), kits=KitFactory.create_batch(1), by=planner
        )
    client.force_login(planner)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert re.findall(r'data-testid="whatsapp-([a-z_0-9]+)"', html) == [Kind.RESCHEDULED]
    text = parse_qs(urlsplit(whatsapp_post(client, visit, Kind.RESCHEDULED)["Location"]).query)["text"][0]
    assert "Semula: Senin, 7 Desember 2026" in text and "Menjadi: Kamis, 10 Desember 2026, pukul 08.00 WIB" in text


def test_django_admin_lists_notices_read_only(client, drive, school, planner):
    from tests.factories import SuperuserFactory

    visit = VisitFactory(drive=drive, school=school, date=MONDAY, status=Visit.Status.PLANNED)
    VisitNotice.objects.create(
        visit=visit,
        kind=Kind.REMINDER_1,
        channel="email",
        recipient="tu@sekolah.sch.id",
        visit_date=MONDAY,
        message="x",
        status=Status.FAILED,
        error="SMTPRecipientsRefused",
    )
    client.force_login(SuperuserFactory())
    changelist = client.get(reverse("admin:recordings_visitnotice_changelist"))
    assert changelist.status_code == 200 and "tu@sekolah.sch.id" in changelist.content.decode()
    assert client.get(reverse("admin:recordings_visitnotice_add")).status_code == 403
    notice = VisitNotice.objects.get()
    change = client.post(reverse("admin:recordings_visitnotice_change", args=[notice.pk]), {"status": "sent"})
    assert change.status_code == 403 or VisitNotice.objects.get().status == Status.FAILED
