"""Regions, schools, their admins and enrolled students (the target lists)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    def kk_masked(self) -> str:
        return mask_number(self.kk)

    def age_on(self, on: datetime.date) -> int:
        """Return the student's age on a date (never stored)."""
        return age_on(self.birth_date, on)
