"""Drives (recording seasons), school visits and the outcome recorded for each student."""

from __future__ import annotations

import datetime
import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ektp_drives.history import track
from schools.models import School, Student


@track()
class Drive(models.Model):
    """A recording season ("jemput bola") across a set of schools."""

    name = models.CharField(_("nama"), max_length=200)
    start_date = models.DateField(_("tanggal mulai"))
    end_date = models.DateField(_("tanggal selesai"))
    reference_date = models.DateField(
        _("tanggal acuan umur"),
        help_text=_("Peserta didik berumur 16 tahun atau lebih pada tanggal ini masuk sasaran."),
    )
    students_per_kit_per_day = models.PositiveSmallIntegerField(_("perekaman per alat per hari"), default=60)
    schools = models.ManyToManyField(
        School, through="DriveSchool", related_name="drives", blank=True, verbose_name=_("sekolah peserta")
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("kegiatan perekaman")
        verbose_name_plural = _("kegiatan perekaman")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="drive_end_after_start"),
            models.CheckConstraint(condition=Q(students_per_kit_per_day__gte=1), name="drive_kit_capacity_positive"),
        ]

    def __str__(self):
        return self.name


@track()
class DriveSchool(models.Model):
    """A school taking part in a drive."""

    drive = models.ForeignKey(Drive, on_delete=models.CASCADE, related_name="drive_schools")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="drive_links")

    class Meta:
        verbose_name = _("sekolah peserta")
        verbose_name_plural = _("sekolah peserta")
        constraints = [models.UniqueConstraint(fields=["drive", "school"], name="drive_school_unique")]

    def __str__(self):
        return f"{self.school} ({self.drive})"


@track()
class Kit(models.Model):
    """A recording kit (alat perekaman) of the office: booked for one visit per day at most."""

    class Status(models.TextChoices):
        READY = "siap", _("Siap")
        BROKEN = "rusak", _("Rusak")
        LENT = "dipinjam", _("Dipinjam")

    name = models.CharField(_("nama / nomor seri"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.READY)
    note = models.CharField(_("catatan"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alat perekaman")
        verbose_name_plural = _("alat perekaman")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="kit_name_unique_ci"),
            models.CheckConstraint(condition=Q(status__in=["siap", "rusak", "dipinjam"]), name="kit_status_valid"),
        ]

    def __str__(self):
        return self.name


# A visit in one of these statuses holds its kits and team for its day (postponed and cancelled
# visits free them). The booking trigger below is written from this list.
ACTIVE_VISIT_STATUSES = ("planned", "in_progress", "done")


@track()
class Visit(models.Model):
    """A recording team's visit to one school on one day."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Direncanakan")
        IN_PROGRESS = "in_progress", _("Sedang berlangsung")
        DONE = "done", _("Selesai")
        POSTPONED = "postponed", _("Ditunda")
        CANCELLED = "cancelled", _("Dibatalkan")

    class PostponementReason(models.TextChoices):
        POWER_CUT = "power_cut", _("Listrik padam")
        ROAD = "road", _("Akses jalan / jarak")
        SCHOOL_EVENT = "school_event", _("Kegiatan sekolah")
        EQUIPMENT = "equipment", _("Peralatan rusak")
        OTHER = "other", _("Lainnya")

    VISITED_STATUSES = (Status.IN_PROGRESS, Status.DONE)

    drive = models.ForeignKey(Drive, on_delete=models.PROTECT, related_name="visits", verbose_name=_("kegiatan"))
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="visits", verbose_name=_("sekolah"))
    date = models.DateField(_("tanggal"))
    start_time = models.TimeField(
        _("jam mulai"),
        default=datetime.time(8, 0),
        help_text=_("Waktu setempat (WIB); disebut di pemberitahuan ke sekolah."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    postponement_reason = models.CharField(
        _("alasan ditunda"), max_length=12, choices=PostponementReason.choices, blank=True
    )
    kits = models.ManyToManyField(
        Kit, through="VisitKit", related_name="visits", blank=True, verbose_name=_("alat perekaman")
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="VisitTeamMember", related_name="visits", blank=True, verbose_name=_("tim")
    )
    notes = models.TextField(_("catatan"), blank=True)
    postponement_note = models.CharField(_("keterangan penundaan"), max_length=300, blank=True)
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("pengganti kunjungan"),
        help_text=_("Kunjungan yang ditunda dan dijadwalkan ulang dengan kunjungan ini."),
    )
    started_at = models.DateTimeField(_("dimulai"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["date", "school__name"]
        verbose_name = _("kunjungan")
        verbose_name_plural = _("kunjungan")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="postponed", postponement_reason__gt="")
                | (~Q(status="postponed") & Q(postponement_reason="")),
                name="visit_postponed_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["drive", "school", "date"], name="visit_drive_school_date"),
            # The dashboard's postponed visits (a few hundred of a drive's ~14,000 visits).
            models.Index(fields=["drive", "status"], name="visit_drive_status"),
        ]
        triggers = [
            # Keep the booking columns of the visit's kit and team links right, whoever changes the
            # visit (the link rows' own trigger reads the visit's new date and status).
            pgtrigger.Trigger(
                name="visit_booking_follows_visit",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("date", "status"),
                condition=pgtrigger.AnyChange("date", "status"),
                func=(
                    "UPDATE recordings_visitkit SET date = NEW.date WHERE visit_id = NEW.id; "
                    "UPDATE recordings_visitteammember SET date = NEW.date WHERE visit_id = NEW.id; "
                    "RETURN NULL;"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.school} — {self.date:%d-%m-%Y}"

    @property
    def is_active_booking(self) -> bool:
        return self.status in ACTIVE_VISIT_STATUSES

    @property
    def kit_count(self) -> int:
        """How many kits the visit has (derived from its assigned kits; uses a prefetch when there is one)."""
        return len(self.kits.all())


# The visit's date and whether it holds its kits / team (``active``) are copied onto each link row
# by a database trigger (migration 0009): on insert, and whenever the visit's date or status changes,
# whoever changes it (service, Django admin, SQL). A partial unique index on (kit, date) / (user, date)
# where active then refuses a second booking for the same day, even from two transactions at once.
BOOKING_FROM_VISIT = (  # noqa: S608 - built from this module's constants
    "SELECT v.date, v.status IN ({statuses}) INTO NEW.date, NEW.active "
    "FROM recordings_visit v WHERE v.id = NEW.visit_id; RETURN NEW;"
).format(statuses=", ".join(f"'{status}'" for status in ACTIVE_VISIT_STATUSES))


@track()
class VisitKit(models.Model):
    """A kit assigned to a visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="kit_links")
    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, related_name="visit_links", verbose_name=_("alat"))
    date = models.DateField(_("tanggal"), null=True, editable=False)
    active = models.BooleanField(_("memakai alat"), default=True, editable=False)

    class Meta:
        verbose_name = _("alat kunjungan")
        verbose_name_plural = _("alat kunjungan")
        constraints = [
            models.UniqueConstraint(fields=["visit", "kit"], name="visit_kit_unique"),
            models.UniqueConstraint(
                fields=["kit", "date"], condition=Q(active=True), name="visit_kit_one_visit_per_day"
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="visit_kit_booking",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=BOOKING_FROM_VISIT,
            ),
        ]

    def __str__(self):
        return f"{self.kit} @ {self.visit}"


@track()
class VisitTeamMember(models.Model):
    """A Dukcapil staff member on a visit's team."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="team_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visit_links")
    date = models.DateField(_("tanggal"), null=True, editable=False)
    active = models.BooleanField(_("bertugas"), default=True, editable=False)

    class Meta:
        verbose_name = _("anggota tim")
        verbose_name_plural = _("anggota tim")
        constraints = [
            models.UniqueConstraint(fields=["visit", "user"], name="visit_team_member_unique"),
            models.UniqueConstraint(
                fields=["user", "date"], condition=Q(active=True), name="visit_team_member_one_visit_per_day"
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="visit_team_booking",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                func=BOOKING_FROM_VISIT,
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.visit}"


@track()
class Recording(models.Model):
    """The current outcome for one student at one visit.

    Changes and undos are kept by the history triggers; a student's status in a drive is the
    outcome with the latest tap time across the drive's visits.
    """

    class Outcome(models.TextChoices):
        RECORDED = "recorded", _("Terekam")
        ALREADY_RECORDED = "already_recorded", _("Sudah rekam sebelumnya")
        ABSENT = "absent", _("Tidak hadir")
        BIOMETRIC_FAILURE = "biometric_failure", _("Gagal rekam, perlu ulang")
        MISSING_DOCUMENTS = "missing_documents", _("Tidak membawa fotokopi KK")
        REFUSED = "refused", _("Menolak")
        NOT_ELIGIBLE = "not_eligible", _("Tidak memenuhi syarat")

    DONE_OUTCOMES = (Outcome.RECORDED, Outcome.ALREADY_RECORDED)
    FOLLOW_UP_OUTCOMES = (
        Outcome.ABSENT,
        Outcome.BIOMETRIC_FAILURE,
        Outcome.MISSING_DOCUMENTS,
        Outcome.REFUSED,
    )

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="recordings", verbose_name=_("kunjungan"))
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="recordings", verbose_name=_("peserta didik")
    )
    outcome = models.CharField(_("hasil"), max_length=20, choices=Outcome.choices)
    reason = models.CharField(_("alasan"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("waktu"), help_text=_("Waktu petugas menandai hasil."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recordings",
        verbose_name=_("petugas"),
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("hasil perekaman")
        verbose_name_plural = _("hasil perekaman")
        constraints = [
            models.UniqueConstraint(fields=["visit", "student"], name="recording_one_per_student_per_visit"),
            models.CheckConstraint(
                condition=~Q(outcome="not_eligible") | Q(reason__gt=""), name="recording_not_eligible_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(
                    outcome__in=[
                        "recorded",
                        "already_recorded",
                        "absent",
                        "biometric_failure",
                        "missing_documents",
                        "refused",
                        "not_eligible",
                    ]
                ),
                name="recording_outcome_valid",
            ),
        ]
        indexes = [models.Index(fields=["student", "-recorded_at"], name="recording_student_latest")]

    def __str__(self):
        return f"{self.student} — {self.get_outcome_display()}"


class RecordingAction(models.Model):
    """One tap (or field-sheet row) that set or undid a student's outcome at a visit. Append-only.

    ``client_id`` is made by the browser (or the server for field sheets and no-JS posts) so a
    re-sent action never counts twice; ``tapped_at`` is when the operator tapped, which decides
    which of two actions is newer, whatever order they reach the server in.
    """

    class Kind(models.TextChoices):
        SET = "set", _("Tandai")
        UNDO = "undo", _("Batalkan")

    class Source(models.TextChoices):
        TAP = "tap", _("Aplikasi")
        OFFLINE = "offline", _("Aplikasi (terkirim kemudian)")
        FIELD_SHEET = "field_sheet", _("Lembar lapangan")
        FORM = "form", _("Formulir")
        CORRECTION = "correction", _("Koreksi supervisor")

    client_id = models.UUIDField(_("id tindakan"), unique=True, default=uuid.uuid4, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="actions", verbose_name=_("kunjungan"))
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="recording_actions", verbose_name=_("peserta didik")
    )
    kind = models.CharField(_("jenis"), max_length=4, choices=Kind.choices, default=Kind.SET)
    outcome = models.CharField(_("hasil"), max_length=20, choices=Recording.Outcome.choices, blank=True)
    reason = models.CharField(_("alasan"), max_length=300, blank=True)
    previous_outcome = models.CharField(
        _("hasil sebelumnya"), max_length=20, choices=Recording.Outcome.choices, blank=True
    )
    tapped_at = models.DateTimeField(_("waktu ditandai"))
    received_at = models.DateTimeField(_("waktu diterima"), auto_now_add=True)
    applied = models.BooleanField(
        _("berlaku"), default=True, help_text=_("Tidak berlaku bila sudah ada tindakan lain yang ditandai lebih baru.")
    )
    source = models.CharField(_("sumber"), max_length=12, choices=Source.choices, default=Source.TAP)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recording_actions",
        verbose_name=_("petugas"),
    )
    field_sheet = models.ForeignKey(
        "FieldSheetUpload",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("lembar lapangan"),
    )

    class Meta:
        ordering = ["-tapped_at", "-pk"]
        verbose_name = _("riwayat hasil")
        verbose_name_plural = _("riwayat hasil")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="set") & ~Q(outcome="")) | (Q(kind="undo") & Q(outcome="")),
                name="recording_action_outcome_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="not_eligible") | Q(reason__gt=""), name="recording_action_not_eligible_reason"
            ),
        ]
        indexes = [models.Index(fields=["visit", "student", "-tapped_at"], name="recaction_visit_student_tap")]
        triggers = [
            pgtrigger.Protect(name="recording_action_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.student} — {self.get_kind_display()} {self.get_outcome_display()}"


def field_sheet_path(instance, filename: str) -> str:
    return f"field_sheets/{instance.visit_id}/{uuid.uuid4().hex}.xlsx"


class FieldSheetUpload(models.Model):
    """A filled-in field sheet (XLSX) for one visit: uploaded, previewed, then committed or cancelled."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Menunggu konfirmasi")
        COMMITTED = "committed", _("Disimpan")
        CANCELLED = "cancelled", _("Dibatalkan")
        FAILED = "failed", _("Gagal dibaca")

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="field_sheets", verbose_name=_("kunjungan"))
    file = models.FileField(_("berkas"), upload_to=field_sheet_path, blank=True)
    original_name = models.CharField(_("nama berkas"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.CharField(_("kesalahan"), max_length=500, blank=True)
    generated_at = models.DateTimeField(_("lembar dibuat"), null=True, blank=True)
    rows = models.JSONField(_("baris"), default=list, blank=True)
    rows_total = models.PositiveIntegerField(_("jumlah baris"), default=0)
    rows_changed = models.PositiveIntegerField(_("baris berubah"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("baris tetap"), default=0)
    rows_error = models.PositiveIntegerField(_("baris bermasalah"), default=0)
    rows_applied = models.PositiveIntegerField(_("hasil disimpan"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("diunggah oleh")
    )
    uploaded_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    file_purged_at = models.DateTimeField(_("berkas dihapus"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("unggahan lembar lapangan")
        verbose_name_plural = _("unggahan lembar lapangan")

    def __str__(self):
        return f"{self.original_name} ({self.visit})"


class DriveSchoolTally(models.Model):
    """Read model: a school's student counts in a drive, kept current by database triggers.

    Written only by the triggers of migration ``0005_progress_read_model`` in the same transaction
    as the write that changes a count (see docs/adr/0023-progress-read-model.md); read by
    ``recordings.selectors.progress``. ``verify_progress`` recounts it from the raw rows.
    """

    drive = models.ForeignKey(Drive, on_delete=models.CASCADE, related_name="tallies")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="drive_tallies")
    proposed_left = models.IntegerField(default=0)
    under_age = models.IntegerField(default=0)
    candidates = models.IntegerField(default=0)
    not_eligible = models.IntegerField(default=0)
    recorded = models.IntegerField(default=0)
    already_recorded = models.IntegerField(default=0)
    absent = models.IntegerField(default=0)
    biometric_failure = models.IntegerField(default=0)
    missing_documents = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    waiting = models.IntegerField(default=0)
    needs_nik = models.IntegerField(default=0)
    # The school's fields the progress tables show, filter and sort on, copied here by the same
    # migration's triggers (on insert, and when a school, desa or kecamatan changes) so the tables
    # read one row per school without joins (docs/adr/0023-progress-read-model.md).
    npsn = models.CharField(max_length=8, default="", editable=False)
    school_name = models.CharField(max_length=200, default="", editable=False)
    level = models.CharField(max_length=5, default="", editable=False)
    school_status = models.CharField(max_length=6, default="", editable=False)
    kecamatan = models.ForeignKey(
        "schools.Kecamatan",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        editable=False,
        related_name="+",
    )
    kecamatan_name = models.CharField(max_length=100, default="", editable=False)
    # Whether a visit of the drive has started at the school (in progress or done) and whether one
    # is in progress: recounted with the figures when a visit is added, moved, removed or changes
    # status (migration 0011), so the headline and the kecamatan tally count schools without
    # reading the visits.
    visited = models.BooleanField(default=False, db_default=False, editable=False)
    in_progress = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = _("rekap sekolah")
        verbose_name_plural = _("rekap sekolah")
        constraints = [models.UniqueConstraint(fields=["drive", "school"], name="drive_school_tally_unique")]
        # The dashboard's default order (school name): its first page and the headline's first
        # schools not visited are read from the index instead of sorting every school.
        indexes = [
            models.Index(F("drive"), Lower("school_name"), F("npsn"), F("school"), name="drive_school_tally_name"),
            # The kecamatan tally sums a kecamatan's rows when one of them changes.
            models.Index(fields=["drive", "kecamatan"], name="drive_school_tally_kecamatan"),
        ]

    def __str__(self):
        return f"{self.school} ({self.drive})"


class DriveSchoolDay(models.Model):
    """Read model: per local day, the change in a school's done students and who was recorded that day.

    ``done_change`` adds up to the school's current done count (the chart); ``recorded`` counts the
    target students whose latest outcome is "recorded", tapped on that day ("recorded today").
    Kept by the same triggers as ``DriveSchoolTally``.
    """

    drive = models.ForeignKey(Drive, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    done_change = models.IntegerField(default=0)
    recorded = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["drive", "school", "day"], name="drive_school_day_unique"),
        ]
        # "Recorded today" of a whole drive or per kecamatan reads only today's rows.
        indexes = [models.Index(fields=["drive", "day"], name="drive_school_day_day")]

    def __str__(self):
        return f"{self.school_id} {self.day}"


class VisitNotice(models.Model):
    """One notice to a school about a visit, to one recipient: the log of who was told what, when.

    E-mails are claimed here first (status pending) and sent after; a reminder has at most one row
    per visit, kind and address (``visit_notice_reminder_once``), so two overlapping runs of
    ``send_visit_reminders`` never send it twice. A WhatsApp row is a staff member's tap on the
    click-to-chat button (``by`` is who). See docs/adr/0029-notices-to-schools.md.
    """

    class Kind(models.TextChoices):
        PLANNED = "planned", _("Jadwal kunjungan")
        RESCHEDULED = "rescheduled", _("Perubahan jadwal")
        POSTPONED = "postponed", _("Kunjungan ditunda")
        CANCELLED = "cancelled", _("Kunjungan dibatalkan")
        REMINDER_7 = "reminder_7", _("Pengingat 7 hari")
        REMINDER_1 = "reminder_1", _("Pengingat 1 hari")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Status(models.TextChoices):
        PENDING = "pending", _("Sedang dikirim")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")

    REMINDERS = (Kind.REMINDER_7, Kind.REMINDER_1)

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="notices", verbose_name=_("kunjungan"))
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("saluran"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("kepada"), max_length=254, help_text=_("Alamat e-mail atau nomor WhatsApp."))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    visit_date = models.DateField(_("tanggal kunjungan yang diberitahukan"))
    previous_date = models.DateField(_("tanggal semula"), null=True, blank=True)
    message = models.TextField(_("isi pesan"))
    error = models.CharField(_("kesalahan"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oleh"),
        help_text=_("Kosong: dikirim otomatis (pengingat terjadwal)."),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pemberitahuan ke sekolah")
        verbose_name_plural = _("pemberitahuan ke sekolah")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["planned", "rescheduled", "postponed", "cancelled", "reminder_7", "reminder_1"]),
                name="visit_notice_kind_valid",
            ),
            models.CheckConstraint(condition=Q(channel__in=["email", "whatsapp"]), name="visit_notice_channel_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed"]), name="visit_notice_status_valid"
            ),
            models.CheckConstraint(condition=Q(recipient__gt=""), name="visit_notice_has_recipient"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="visit_notice_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | Q(error__gt=""), name="visit_notice_failed_has_error"
            ),
            # A click-to-chat row is a tap by a staff member: always someone, logged when it opens WhatsApp.
            models.CheckConstraint(
                condition=~Q(channel="whatsapp") | Q(by__isnull=False, status="sent"),
                name="visit_notice_whatsapp_by_someone",
            ),
            models.UniqueConstraint(
                fields=["visit", "kind", "recipient"],
                condition=Q(channel="email", kind__in=["reminder_7", "reminder_1"]),
                name="visit_notice_reminder_once",
            ),
        ]
        indexes = [models.Index(fields=["visit", "-created_at"], name="visit_notice_visit_created")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"


class DriveKecamatanTally(models.Model):
    """Read model: a kecamatan's sums of its schools' ``DriveSchoolTally`` rows in a drive.

    Kept by a statement trigger on the school tally (migration 0011): whatever changes a school's
    row (a recount, the school moving to another kecamatan, joining or leaving the drive) sums its
    kecamatan again in the same statement, so the dashboard's headline and kecamatan table read a
    few hundred rows instead of summing every school (docs/adr/0023-progress-read-model.md, 2026-12-01 amendment).
    ``verify_progress`` recounts it from the raw rows.
    """

    drive = models.ForeignKey(Drive, on_delete=models.CASCADE, related_name="kecamatan_tallies")
    kecamatan = models.ForeignKey(
        "schools.Kecamatan", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kecamatan_name = models.CharField(max_length=100, default="")
    schools = models.IntegerField(default=0)
    schools_visited = models.IntegerField(default=0)
    schools_in_progress = models.IntegerField(default=0)
    proposed_left = models.IntegerField(default=0)
    under_age = models.IntegerField(default=0)
    candidates = models.IntegerField(default=0)
    not_eligible = models.IntegerField(default=0)
    recorded = models.IntegerField(default=0)
    already_recorded = models.IntegerField(default=0)
    absent = models.IntegerField(default=0)
    biometric_failure = models.IntegerField(default=0)
    missing_documents = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    waiting = models.IntegerField(default=0)
    needs_nik = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("rekap kecamatan")
        verbose_name_plural = _("rekap kecamatan")
        constraints = [
            models.UniqueConstraint(fields=["drive", "kecamatan"], name="drive_kecamatan_tally_unique"),
        ]

    def __str__(self):
        return f"{self.kecamatan_name} ({self.drive_id})"
