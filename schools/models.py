"""Regions, schools, their admins and enrolled students (the target lists)."""

from __future__ import annotations

import datetime

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ektp_drives.history import track

NIK_PATTERN = r"^[1-9][0-9]{15}$"
KK_PATTERN = r"^[0-9]{16}$"
NISN_PATTERN = r"^[0-9]{10}$"
NPSN_PATTERN = r"^[0-9]{8}$"


def mask_number(value: str) -> str:
    """Mask a NIK or No KK for lists: keep the region (4) and the last 4 digits."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def age_on(birth_date: datetime.date, on: datetime.date) -> int:
    """Return the age in whole years on a date."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


MINIMUM_AGE = 16


def eligibility_cutoff(reference_date: datetime.date) -> datetime.date:
    """Return the latest birth date of a student who is 16 or older on the reference date."""
    try:
        return reference_date.replace(year=reference_date.year - MINIMUM_AGE)
    except ValueError:  # 29 February in a non-leap year
        return reference_date.replace(year=reference_date.year - MINIMUM_AGE, day=28)


class Kecamatan(models.Model):
    """A district of the regency, with its Kepmendagri code (e.g. 15.04.03)."""

    code = models.CharField(_("kode"), max_length=8, unique=True)
    name = models.CharField(_("nama"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self):
        return self.name


class Desa(models.Model):
    """A rural (desa) or urban (kelurahan) village of a kecamatan."""

    class Kind(models.TextChoices):
        DESA = "desa", _("Desa")
        KELURAHAN = "kelurahan", _("Kelurahan")

    code = models.CharField(_("kode"), max_length=13, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="desa_set", verbose_name=_("kecamatan")
    )

    class Meta:
        ordering = ["kecamatan__name", "name"]
        verbose_name = _("desa/kelurahan")
        verbose_name_plural = _("desa/kelurahan")

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class NikRegion(models.Model):
    """A kecamatan anywhere in Indonesia; the first six digits of a NIK name one."""

    code = models.CharField(_("kode"), max_length=6, primary_key=True)
    name = models.CharField(_("kecamatan"), max_length=100)
    regency_name = models.CharField(_("kabupaten/kota"), max_length=100)
    province_name = models.CharField(_("provinsi"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kode wilayah NIK")
        verbose_name_plural = _("kode wilayah NIK")

    def __str__(self):
        return f"{self.code} {self.name}, {self.regency_name}"


@track()
class School(models.Model):
    """A senior secondary school (SMA, SMK, MA) or SLB visited by the drives."""

    class Level(models.TextChoices):
        SMA = "SMA", "SMA"
        SMK = "SMK", "SMK"
        MA = "MA", "MA"
        SLB = "SLB", "SLB"
        OTHER = "other", _("Lainnya")

    class Status(models.TextChoices):
        NEGERI = "negeri", _("Negeri")
        SWASTA = "swasta", _("Swasta")

    npsn = models.CharField("NPSN", max_length=8, unique=True)
    name = models.CharField(_("nama sekolah"), max_length=200)
    level = models.CharField(_("jenjang"), max_length=5, choices=Level.choices)
    status = models.CharField(_("status"), max_length=6, choices=Status.choices)
    desa = models.ForeignKey(Desa, on_delete=models.PROTECT, related_name="schools", verbose_name=_("desa/kelurahan"))
    address = models.CharField(_("alamat"), max_length=300, blank=True)
    contact_name = models.CharField(_("narahubung"), max_length=150, blank=True)
    contact_phone = models.CharField(_("telepon narahubung"), max_length=30, blank=True)
    latitude = models.DecimalField(_("lintang"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("bujur"), max_digits=9, decimal_places=6, null=True, blank=True)
    distance_km = models.DecimalField(
        _("jarak dari kantor Dukcapil (km)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    travel_minutes = models.PositiveSmallIntegerField(
        _("waktu tempuh dari kantor Dukcapil (menit)"), null=True, blank=True
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="SchoolAdmin",
        related_name="administered_schools",
        blank=True,
        verbose_name=_("admin sekolah"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("sekolah")
        verbose_name_plural = _("sekolah")
        constraints = [
            models.CheckConstraint(condition=Q(npsn__regex=NPSN_PATTERN), name="school_npsn_8_digits"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="school_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="school_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(distance_km__isnull=True) | Q(distance_km__gte=0), name="school_distance_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


@track()
class SchoolAdmin(models.Model):
    """Tie a user (operator sekolah) to a school they administer."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="admin_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="school_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("admin sekolah")
        verbose_name_plural = _("admin sekolah")
        constraints = [models.UniqueConstraint(fields=["school", "user"], name="school_admin_unique")]

    def __str__(self):
        return f"{self.user} @ {self.school}"


# Warning codes of a NIK or No KK read from a number cell and ending in 0: a spreadsheet keeps 15
# significant digits, so the 16th may be lost. A student carrying one is "perlu dicek: mungkin
# dibulatkan" until an upload from a text cell or a fix on the student page replaces the warnings.
ROUNDED_CODES = ("nik_excel_rounded", "kk_excel_rounded")


@track()
class Student(models.Model):
    """A student enrolled at a school: one row of the school's target list."""

    class Gender(models.TextChoices):
        MALE = "L", _("Laki-laki")
        FEMALE = "P", _("Perempuan")

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students", verbose_name=_("sekolah"))
    name = models.CharField(_("nama"), max_length=200)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices)
    birth_place = models.CharField(_("tempat lahir"), max_length=100, blank=True)
    birth_date = models.DateField(_("tanggal lahir"))
    nik = models.CharField("NIK", max_length=16, blank=True)
    kk = models.CharField(_("No KK"), max_length=16, blank=True)
    nisn = models.CharField("NISN", max_length=10, blank=True)
    nipd = models.CharField("NIPD", max_length=30, blank=True)
    class_name = models.CharField(_("rombel"), max_length=50, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    left_on = models.DateField(_("tanggal keluar"), null=True, blank=True)
    data_warnings = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("perlu diperiksa"),
        default=list,
        blank=True,
        help_text=_("Kode peringatan dari unggahan daftar terakhir (mis. NIK kosong)."),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        ordering = ["school", "class_name", "name"]
        verbose_name = _("peserta didik")
        verbose_name_plural = _("peserta didik")
        constraints = [
            models.UniqueConstraint(
                fields=["nik"],
                condition=Q(is_active=True) & ~Q(nik=""),
                name="student_nik_unique_among_active",
                violation_error_message=_("NIK ini sudah dipakai peserta didik aktif lain."),
            ),
            models.CheckConstraint(condition=Q(nik="") | Q(nik__regex=NIK_PATTERN), name="student_nik_format"),
            models.CheckConstraint(condition=Q(kk="") | Q(kk__regex=KK_PATTERN), name="student_kk_format"),
            models.CheckConstraint(condition=Q(nisn="") | Q(nisn__regex=NISN_PATTERN), name="student_nisn_format"),
            models.CheckConstraint(condition=Q(nik="") | ~Q(nik=models.F("kk")), name="student_nik_not_kk"),
            models.CheckConstraint(condition=Q(gender__in=["L", "P"]), name="student_gender_valid"),
            models.CheckConstraint(
                condition=Q(is_active=True, left_on__isnull=True) | Q(is_active=False),
                name="student_left_on_only_when_left",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "is_active", "birth_date"], name="student_school_active_birth"),
            models.Index(fields=["nisn"], name="student_nisn"),
        ]

    def __str__(self):
        return self.name

    @property
    def nik_masked(self) -> str:
        return mask_number(self.nik)

    @property
    def needs_number_check(self) -> bool:
        """NIK or No KK may have been rounded by a spreadsheet: check against the KK photocopy."""
        return any(code in ROUNDED_CODES for code in self.data_warnings or ())

    @property
    def kk_masked(self) -> str:
        return mask_number(self.kk)

    def age_on(self, on: datetime.date) -> int:
        """Return the student's age on a date (never stored)."""
        return age_on(self.birth_date, on)


def student_list_upload_path(instance, filename: str) -> str:
    """Store uploaded lists under a random name per school (the original name is kept in the record)."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"student_lists/{instance.school.npsn}/{uuid.uuid4().hex}{suffix}"


class StudentListUpload(models.Model):
    """One upload of a school's student list: who, when, which school, counts and outcome.

    Life cycle: uploaded → previewed → committed | cancelled; unreadable → failed. The stored
    file is deleted after 30 days (``purge_uploads``); the record stays.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Diunggah")
        PREVIEWED = "previewed", _("Menunggu konfirmasi")
        COMMITTED = "committed", _("Disimpan")
        CANCELLED = "cancelled", _("Dibatalkan")
        FAILED = "failed", _("Gagal dibaca")

    class Source(models.TextChoices):
        WEB = "web", _("Aplikasi web")
        CLI = "cli", _("Baris perintah")

    class FileFormat(models.TextChoices):
        DAPODIK = "dapodik", _("Dapodik")
        XLSX = "xlsx", _("Templat / XLSX")
        XLS = "xls", _("XLS (Excel 97-2003, WPS)")
        XLSB = "xlsb", "XLSB"
        ODS = "ods", _("ODS (LibreOffice)")
        CSV = "csv", "CSV"

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="student_list_uploads", verbose_name=_("sekolah")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="student_list_uploads",
        verbose_name=_("diunggah oleh"),
    )
    source = models.CharField(_("sumber"), max_length=3, choices=Source.choices, default=Source.WEB)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    whole_list = models.BooleanField(
        _("daftar lengkap"),
        default=True,
        help_text=_("Berkas berisi semua peserta didik aktif; yang tidak ada diusulkan keluar."),
    )
    file = models.FileField(_("berkas"), upload_to=student_list_upload_path, max_length=200, blank=True)
    original_name = models.CharField(_("nama berkas"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("ukuran berkas (bita)"), default=0)
    file_format = models.CharField(_("format"), max_length=8, choices=FileFormat.choices, blank=True)
    file_purged_at = models.DateTimeField(_("berkas dihapus"), null=True, blank=True)
    created_at = models.DateTimeField(_("diunggah"), auto_now_add=True)
    previewed_at = models.DateTimeField(_("diperiksa"), null=True, blank=True)
    committed_at = models.DateTimeField(_("disimpan"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disimpan oleh"),
    )
    cancelled_at = models.DateTimeField(_("dibatalkan"), null=True, blank=True)
    failure_code = models.CharField(_("kode kegagalan"), max_length=40, blank=True)
    failure_message = models.TextField(_("pesan kegagalan"), blank=True)
    reference_date = models.DateField(_("tanggal acuan umur"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("baris data"), default=0)
    new_count = models.PositiveIntegerField(_("baru"), default=0)
    updated_count = models.PositiveIntegerField(_("diubah"), default=0)
    unchanged_count = models.PositiveIntegerField(_("tetap"), default=0)
    not_imported_count = models.PositiveIntegerField(_("tidak diimpor"), default=0)
    conflict_count = models.PositiveIntegerField(_("konflik"), default=0)
    warning_count = models.PositiveIntegerField(_("baris dengan peringatan"), default=0)
    not_yet_eligible_count = models.PositiveIntegerField(_("belum cukup umur"), default=0)
    left_count = models.PositiveIntegerField(_("diusulkan keluar"), default=0)
    problems = models.JSONField(_("masalah"), default=list, blank=True)
    left_student_ids = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("unggahan daftar peserta didik")
        verbose_name_plural = _("unggahan daftar peserta didik")
        indexes = [models.Index(fields=["school", "-created_at"], name="upload_school_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["uploaded", "previewed", "committed", "cancelled", "failed"]),
                name="upload_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="committed") | Q(committed_at__isnull=False), name="upload_committed_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.school})"

    @property
    def is_open(self) -> bool:
        """True while the upload waits for the user's decision."""
        return self.status == self.Status.PREVIEWED

    @property
    def has_file(self) -> bool:
        return bool(self.file) and self.file_purged_at is None


@track()
class NikConflict(models.Model):
    """A row whose NIK belongs to an active student of another school; Dukcapil decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu keputusan")
        MOVED = "moved", _("Dipindahkan ke sekolah ini")
        REJECTED = "rejected", _("Ditolak")

    upload = models.ForeignKey(
        StudentListUpload, on_delete=models.PROTECT, related_name="nik_conflicts", verbose_name=_("unggahan")
    )
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="incoming_nik_conflicts", verbose_name=_("sekolah pengunggah")
    )
    existing_student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="nik_conflicts", verbose_name=_("peserta didik terdaftar")
    )
    nik = models.CharField("NIK", max_length=16)
    row_number = models.PositiveIntegerField(_("baris"))
    data = models.JSONField(_("data baris"), default=dict)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    student = models.ForeignKey(
        Student,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("peserta didik di sekolah ini"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("konflik NIK")
        verbose_name_plural = _("konflik NIK")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "nik"], condition=Q(status="pending"), name="nik_conflict_one_pending_per_school"
            ),
            models.CheckConstraint(condition=Q(nik__regex=NIK_PATTERN), name="nik_conflict_nik_format"),
            models.CheckConstraint(
                condition=Q(status="pending", resolved_at__isnull=True)
                | (~Q(status="pending") & Q(resolved_at__isnull=False)),
                name="nik_conflict_resolved_has_time",
            ),
        ]

    def __str__(self):
        return f"{mask_number(self.nik)} → {self.school}"

    @property
    def nik_masked(self) -> str:
        return mask_number(self.nik)


@track()
class LeftProposal(models.Model):
    """An active student missing from a whole-list upload: proposed as left until a supervisor decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu konfirmasi")
        CONFIRMED = "confirmed", _("Dikonfirmasi keluar")
        DISMISSED = "dismissed", _("Tidak jadi")

    upload = models.ForeignKey(
        StudentListUpload, on_delete=models.PROTECT, related_name="left_proposals", verbose_name=_("unggahan")
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="left_proposals", verbose_name=_("peserta didik")
    )
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    decided_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("usulan keluar")
        verbose_name_plural = _("usulan keluar")
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(status="pending"), name="left_proposal_one_pending_per_student"
            ),
        ]

    def __str__(self):
        return f"{self.student} ({self.get_status_display()})"


class AccountProfile(models.Model):
    """Account set-up data of a user created from the app (school admins)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_profile")
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    must_change_password = models.BooleanField(_("wajib ganti kata sandi"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    password_changed_at = models.DateTimeField(_("kata sandi diganti"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("dinonaktifkan"), null=True, blank=True)

    class Meta:
        verbose_name = _("profil akun")
        verbose_name_plural = _("profil akun")

    def __str__(self):
        return str(self.user)


class PersonalDataAccess(models.Model):
    """One look at, or download of, a school's personal data (UU 27/2022): who, when, what.

    Written by ``services.personal_data_access_record`` from every view that shows full NIK / No KK
    numbers or exports students' data; read by supervisors. Append-only; never holds a NIK or KK.
    """

    class Kind(models.TextChoices):
        STUDENT_VIEWED = "student_viewed", _("Melihat halaman peserta didik")
        STUDENTS_EXPORTED = "students_exported", _("Mengunduh daftar belum terekam")
        VISIT_EXPORTED = "visit_exported", _("Mengunduh hasil kunjungan")
        UPLOAD_FILE = "upload_file", _("Mengunduh berkas daftar yang diunggah")
        PROBLEM_ROWS = "problem_rows", _("Mengunduh baris bermasalah")
        FIELD_SHEET = "field_sheet", _("Mengunduh lembar lapangan")
        STUDENT_SEARCH = "student_search", _("Mencari peserta didik dengan NIK lengkap")
        PASSWORD_RESET = "password_reset", _("Memberi kata sandi sekali pakai ke akun sekolah")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
        verbose_name=_("pengguna"),
    )
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
        verbose_name=_("sekolah"),
        help_text=_("Kosong untuk unduhan yang mencakup banyak sekolah."),
    )
    kind = models.CharField(_("akses"), max_length=20, choices=Kind.choices)
    detail = models.CharField(_("keterangan"), max_length=300, blank=True)
    at = models.DateTimeField(_("waktu"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("akses data pribadi")
        verbose_name_plural = _("akses data pribadi")
        indexes = [
            models.Index(fields=["-at", "-id"], name="pd_access_at"),
            models.Index(fields=["school", "-at"], name="pd_access_school_at"),
            models.Index(fields=["user", "-at"], name="pd_access_user_at"),
        ]
        triggers = [
            pgtrigger.Protect(name="personal_data_access_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()} · {self.school or '—'}"
