"""Forms of the schools area: student-list upload, school admin accounts, first-login password."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from schools.importing.readers import WEB_MAX_BYTES
from schools.models import School

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
        help_text=_("Unduhan Dapodik \u201cDaftar Peserta Didik\u201d (XLSX) apa adanya, templat aplikasi, atau CSV."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
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
            raise forms.ValidationError(
                _("Gunakan 3\u201340 huruf kecil, angka, titik, garis bawah atau tanda hubung.")
            )
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
