"""Forms of the schools area: student-list upload, fixing a student, the access-log filter, school
admin accounts, first-login password."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ektp_drives.phones import normalize_phone
from schools.geo import parse_coordinate
from schools.importing.readers import WEB_MAX_BYTES
from schools.importing.rows import ERROR, RowJudge, clean_number
from schools.models import PersonalDataAccess, School, Student

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{8,20}$")


class BootstrapMixin:
    """Give widgets Bootstrap classes (checkboxes are drawn by the template)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.npsn})"


class StudentListUploadForm(BootstrapMixin, forms.Form):
    school = SchoolChoiceField(label=_("Sekolah"), queryset=School.objects.none(), empty_label=_("— pilih sekolah —"))
    file = forms.FileField(
        label=_("Berkas daftar peserta didik"),
        help_text=_("Unduhan Dapodik “Daftar Peserta Didik” (XLSX) apa adanya, templat aplikasi, atau CSV."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsb,.ods,.et,.csv,text/csv"}),
    )
    whole_list = forms.BooleanField(
        label=_("Berkas ini berisi semua peserta didik aktif sekolah"),
        help_text=_(
            "Peserta didik yang tidak ada di berkas akan diusulkan keluar (tidak dihapus). "
            "Hapus centang bila berkas hanya sebagian, misalnya perbaikan baris bermasalah."
        ),
        required=False,
        initial=True,
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools if schools is not None else School.objects.none()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > WEB_MAX_BYTES:
            raise forms.ValidationError(
                _("Berkas terlalu besar (%(size)s MB; paling besar %(limit)s MB).")
                % {"size": f"{upload.size / 1048576:.1f}".replace(".", ","), "limit": WEB_MAX_BYTES // 1048576}
            )
        return upload


class StudentForm(BootstrapMixin, forms.Form):
    """Fix one student's data. Every value goes through the student-list import's row rules
    (``RowJudge``), so a NIK typed here is judged as an imported one, with the same messages.

    Differences from an upload: a No KK or NISN that is not a valid number is refused (an upload
    keeps the row and drops the value). Warnings (NIK empty, birth date or gender differing from
    the NIK, unknown region) do not stop the save; they become the student's ``data_warnings``.
    """

    NUMBER_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
    REFUSED_WARNINGS = frozenset({"kk_invalid", "nisn_invalid"})

    # Required fields answer an empty value with the import's own message.
    name = forms.CharField(label=_("Nama"), strip=False, error_messages={"required": _("Nama kosong.")})
    gender = forms.ChoiceField(
        label=_("Jenis kelamin"),
        choices=[("", "—"), *Student.Gender.choices],
        error_messages={"required": _("JK kosong; isi L atau P.")},
    )
    birth_place = forms.CharField(label=_("Tempat lahir"), required=False, max_length=100)
    birth_date = forms.CharField(
        label=_("Tanggal lahir"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Tanggal Lahir kosong.")},
    )
    nik = forms.CharField(
        label="NIK", required=False, max_length=40, widget=forms.TextInput(attrs=NUMBER_ATTRS), help_text=_("16 angka.")
    )
    kk = forms.CharField(
        label=_("No KK"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
        help_text=_("16 angka, dari Kartu Keluarga."),
    )
    nisn = forms.CharField(
        label="NISN",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs=NUMBER_ATTRS),
        help_text=_("10 angka."),
    )
    nipd = forms.CharField(label="NIPD", required=False, max_length=30)
    class_name = forms.CharField(label=_("Rombel"), required=False, max_length=50)

    def __init__(self, *args, nik_regions=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.nik_regions = nik_regions  # a callable: NIK prefixes → the known ones
        self.today = today or timezone.localdate()
        self.row = None

    @classmethod
    def initial_for(cls, student: Student) -> dict:
        return {
            "name": student.name,
            "gender": student.gender,
            "birth_place": student.birth_place,
            "birth_date": student.birth_date.isoformat() if student.birth_date else "",
            "nik": student.nik,
            "kk": student.kk,
            "nisn": student.nisn,
            "nipd": student.nipd,
            "class_name": student.class_name,
        }

    def clean(self):
        cleaned = super().clean()
        nik_digits, _kind = clean_number(cleaned.get("nik", ""))
        regions = self.nik_regions([nik_digits[:6]]) if self.nik_regions and len(nik_digits) >= 6 else frozenset()
        judge = RowJudge(nik_regions=frozenset(regions), today=self.today)
        row = judge.judge_row(
            0,
            cleaned.get("name", ""),
            cleaned.get("gender", ""),
            cleaned.get("birth_date", ""),
            cleaned.get("birth_place", ""),
            cleaned.get("nipd", ""),
            cleaned.get("class_name", ""),
            cleaned.get("nik", ""),
            cleaned.get("kk", ""),
            cleaned.get("nisn", ""),
        )
        for problem in row.problems:
            if problem.field in self.errors:
                continue  # the field's own check already answered (e.g. too long)
            if problem.severity == ERROR or problem.code in self.REFUSED_WARNINGS:
                self.add_error(problem.field if problem.field in self.fields else None, problem.detail)
        self.row = row
        return cleaned

    def note_number_check(self, student: Student) -> None:
        """Say on the NIK / No KK field that the number may have been rounded, and that saving the
        checked number clears the flag."""
        for name, code in (("nik", "nik_excel_rounded"), ("kk", "kk_excel_rounded")):
            if code in (student.data_warnings or ()):
                self.fields[name].help_text = _(
                    "Perlu dicek: mungkin dibulatkan spreadsheet. Cocokkan dengan fotokopi KK; "
                    "menyimpan formulir ini menghapus tanda itu."
                )

    @property
    def values(self) -> dict:
        """The normalised values to save (after ``is_valid()``)."""
        row = self.row
        return {
            "name": row.name,
            "gender": row.gender,
            "birth_place": row.birth_place,
            "birth_date": row.birth_date,
            "nik": row.nik,
            "kk": row.kk,
            "nisn": row.nisn,
            "nipd": row.nipd,
            "class_name": row.class_name,
        }

    @property
    def warnings(self) -> list[str]:
        """Warning codes left after the save (stored on the student, shown on the list)."""
        return [code for code in self.row.warning_codes if code not in self.REFUSED_WARNINGS]

    @property
    def warning_messages(self) -> list[str]:
        return [p.detail for p in self.row.problems if p.severity != ERROR and p.code not in self.REFUSED_WARNINGS]


class AccessLogFilterForm(forms.Form):
    """Filters of the access log: school (NPSN), user, kind of access."""

    sekolah = forms.CharField(required=False, max_length=8)
    pengguna = forms.IntegerField(required=False, min_value=1)
    akses = forms.ChoiceField(required=False, choices=[("", ""), *PersonalDataAccess.Kind.choices])

    def values(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}


class SchoolAdminCreateForm(BootstrapMixin, forms.Form):
    school = SchoolChoiceField(label=_("Sekolah"), queryset=School.objects.order_by("name"))
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    username = forms.CharField(
        label=_("Nama pengguna"),
        max_length=40,
        help_text=_("Huruf kecil, angka, titik, garis bawah atau tanda hubung; mis. sekolah-10501234."),
    )
    phone = forms.CharField(label=_("Nomor HP"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def clean_username(self):
        username = self.cleaned_data["username"].strip().lower()
        if not USERNAME_PATTERN.match(username):
            raise forms.ValidationError(_("Gunakan 3–40 huruf kecil, angka, titik, garis bawah atau tanda hubung."))
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Nama pengguna ini sudah dipakai."))
        return username

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE_PATTERN.match(phone):
            raise forms.ValidationError(_("Nomor HP tidak sah (contoh: 0812 3456 7890)."))
        return phone

    def clean(self):
        cleaned = super().clean()
        contact = cleaned.get("phone") or cleaned.get("email")
        if not contact and not self.has_error("phone") and not self.has_error("email"):
            raise forms.ValidationError(_("Isi nomor HP atau e-mail agar admin sekolah bisa dihubungi."))
        return cleaned


class FirstPasswordForm(BootstrapMixin, SetPasswordForm):
    """Set one's own password after logging in with a one-time password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Kata sandi baru")
        self.fields["new_password2"].label = _("Ulangi kata sandi baru")


class OwnPasswordChangeForm(FirstPasswordForm, PasswordChangeForm):
    """Change one's own password when no change is required: the current password is asked, so a
    borrowed session cannot lock its owner out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Kata sandi sekarang")


def _coordinate_text(value) -> str:
    """A stored coordinate as Indonesians write it (comma decimals, no trailing zeros)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value else "0"
    return text.replace(".", ",")


class SchoolProfileForm(BootstrapMixin, forms.Form):
    """A school's profile: address, contact, location and travel from the office. ``fields`` names
    the ones the user may change (``school_profile_editable_fields``); the others are left out."""

    DECIMAL_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}

    address = forms.CharField(label=_("Alamat"), required=False, max_length=300)
    contact_name = forms.CharField(label=_("Narahubung"), required=False, max_length=150)
    contact_phone = forms.CharField(
        label=_("Telepon narahubung"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Nomor Indonesia, mis. 0812 3456 7890 atau (0743) 21234. Disimpan sebagai +62…."),
    )
    latitude = forms.CharField(
        label=_("Lintang"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
        help_text=_("Derajat desimal, negatif di selatan khatulistiwa, mis. -1,6956 (titik atau koma)."),
    )
    longitude = forms.CharField(
        label=_("Bujur"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
        help_text=_("Derajat desimal, mis. 103,2648."),
    )
    distance_km = forms.CharField(
        label=_("Jarak tempuh dari kantor Dukcapil (km)"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs=DECIMAL_ATTRS),
        help_text=_("Jarak lewat jalan, mis. 35,5. Kosong: ditampilkan jarak garis lurus dari koordinat."),
    )
    travel_minutes = forms.IntegerField(
        label=_("Waktu tempuh dari kantor Dukcapil (menit)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        error_messages={"invalid": _("Isi waktu tempuh dalam menit (angka bulat).")},
    )

    def __init__(self, *args, fields=(), school=None, **kwargs):
        if school is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "address": school.address,
                "contact_name": school.contact_name,
                "contact_phone": school.contact_phone,
                "latitude": _coordinate_text(school.latitude),
                "longitude": _coordinate_text(school.longitude),
                "distance_km": _coordinate_text(school.distance_km),
                "travel_minutes": school.travel_minutes,
            }
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]

    def clean_contact_phone(self):
        value = self.cleaned_data["contact_phone"].strip()
        return normalize_phone(value) if value else ""

    def clean_latitude(self):
        return parse_coordinate(self.cleaned_data["latitude"], kind="latitude")

    def clean_longitude(self):
        return parse_coordinate(self.cleaned_data["longitude"], kind="longitude")

    def clean_distance_km(self):
        text = self.cleaned_data["distance_km"].strip().replace(",", ".")
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Isi jarak dalam kilometer, mis. 35,5.")) from None
        if not value.is_finite() or value < 0 or value >= 100000:
            raise forms.ValidationError(_("Jarak harus antara 0 dan 99.999,9 km."))
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def clean(self):
        data = super().clean()
        checked = "latitude" in self.fields and not self.errors.get("latitude") and not self.errors.get("longitude")
        if checked and (data.get("latitude") is None) != (data.get("longitude") is None):
            missing = "longitude" if data.get("longitude") is None else "latitude"
            self.add_error(missing, _("Isi lintang dan bujur bersama-sama, atau kosongkan keduanya."))
        return data


class CoordinateImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Berkas koordinat sekolah"),
        help_text=_("CSV (atau XLSX) dengan kolom NPSN, Lintang, Bujur, seperti profil sekolah di Dapodik."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xls,.ods,text/csv"}),
    )
