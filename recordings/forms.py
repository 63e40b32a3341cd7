"""Forms for drives, visit planning and outcomes. Labels and messages in Bahasa Indonesia."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recordings.fieldsheet import MAX_UPLOAD_BYTES
from recordings.models import Drive, Kit, Recording, Visit
from recordings.selectors import PlanningStatus, team_candidates
from recordings.selectors.kits import KitDay, kit_day
from recordings.services import CLIENT_MS_MAX, CLIENT_MS_MIN
from schools.models import Kecamatan, School

UNDO = "undo"


class BootstrapMixin:
    """Give every widget Bootstrap 5's classes (no template add-on needed)."""

    def style_fields(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class KitChoiceField(forms.ModelMultipleChoiceField):
    """Kits by name. The form shows only the kits free on the chosen day; any kit id is accepted
    here so that a kit taken meanwhile gets the service's message naming the other visit."""

    def label_from_instance(self, obj):
        return obj.name


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class SchoolChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        kecamatan = obj.desa.kecamatan.name if obj.desa_id else ""
        return f"{obj.name} ({obj.get_level_display()}, {kecamatan})"


class DriveForm(BootstrapMixin, forms.ModelForm):
    """A drive and its schools. Schools can be picked one by one, by kecamatan, by level, or all."""

    schools = SchoolChoiceField(
        label=_("Sekolah peserta"),
        queryset=School.objects.select_related("desa__kecamatan").order_by("desa__kecamatan__name", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    add_kecamatan = forms.ModelMultipleChoiceField(
        label=_("Tambahkan semua sekolah di kecamatan"),
        queryset=Kecamatan.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    add_levels = forms.MultipleChoiceField(
        label=_("Tambahkan semua sekolah jenjang"),
        choices=School.Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    all_schools = forms.BooleanField(label=_("Semua sekolah"), required=False)

    class Meta:
        model = Drive
        fields = ["name", "start_date", "end_date", "reference_date", "students_per_kit_per_day"]
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "reference_date": DateInput()}
        help_texts = {
            "students_per_kit_per_day": _("Dipakai untuk memperkirakan hari kunjungan yang masih dibutuhkan."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["schools"] = list(self.instance.drive_schools.values_list("school_id", flat=True))
        self.style_fields()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("Tanggal selesai tidak boleh sebelum tanggal mulai."))
        selected = School.objects.none()
        if cleaned.get("all_schools"):
            selected = School.objects.all()
        else:
            ids = {school.pk for school in cleaned.get("schools") or []}
            kecamatan = cleaned.get("add_kecamatan")
            levels = cleaned.get("add_levels")
            if kecamatan:
                ids |= set(School.objects.filter(desa__kecamatan__in=kecamatan).values_list("pk", flat=True))
            if levels:
                ids |= set(School.objects.filter(level__in=levels).values_list("pk", flat=True))
            selected = School.objects.filter(pk__in=ids)
        cleaned["selected_schools"] = list(selected.order_by("name"))
        if not cleaned["selected_schools"]:
            self.add_error("schools", _("Pilih minimal satu sekolah peserta."))
        return cleaned


class VisitPlanForm(BootstrapMixin, forms.Form):
    school = forms.ModelChoiceField(label=_("Sekolah"), queryset=School.objects.none())
    date = forms.DateField(label=_("Tanggal kunjungan"), widget=DateInput())
    start_time = forms.TimeField(
        label=_("Jam mulai"), initial=datetime.time(8, 0), required=False, widget=TimeInput(), help_text=_("WIB")
    )
    kits = KitChoiceField(
        label=_("Alat perekaman"),
        queryset=Kit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pilih minimal satu alat perekaman.")},
    )
    team = StaffChoiceField(
        label=_("Tim (petugas)"), queryset=team_candidates(), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, drive: Drive, with_school: bool = True, visit: Visit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_candidates()
        if with_school:
            self.fields["school"].queryset = School.objects.filter(drive_links__drive=drive).order_by("name")
        else:
            del self.fields["school"]
        # The date picker offers today or later (the service refuses earlier dates with a message).
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()
        # A visit being rescheduled keeps its own kits among the free ones (a postponed one has
        # freed them already).
        self.kit_day: KitDay = kit_day(self.chosen_date(), exclude_visit_id=visit.pk if visit else None)
        self.fields["kits"].queryset = Kit.objects.all()
        self.fields["kits"].widget.choices = [(option.kit.pk, option.kit.name) for option in self.kit_day.free]
        self.style_fields()

    def chosen_date(self) -> datetime.date | None:
        """The day the kits are shown for: the submitted date, else the initial one."""
        raw = self.data.get(self.add_prefix("date")) if self.is_bound else self.initial.get("date")
        if isinstance(raw, datetime.date):
            return raw
        try:
            return self.fields["date"].to_python(raw)
        except forms.ValidationError:
            return None


class VisitPostponeForm(BootstrapMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("Alasan ditunda"), choices=Visit.PostponementReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Keterangan"), required=False, max_length=300)
    new_date = forms.DateField(
        label=_("Tanggal baru"),
        required=False,
        widget=DateInput(),
        help_text=_("Bila diisi, kunjungan pengganti langsung dijadwalkan dengan tim dan alat yang sama."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_date"].widget.attrs["min"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        self.style_fields()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Visit.PostponementReason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Tuliskan keterangan untuk alasan 'Lainnya'."))
        return cleaned


class OutcomeForm(forms.Form):
    """One tap. ``client_id``, ``tapped_at`` and ``sent_at`` come from the page's script."""

    student = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    outcome = forms.ChoiceField(choices=[*Recording.Outcome.choices, (UNDO, _("Batalkan hasil"))])
    reason = forms.CharField(required=False, max_length=300)
    client_id = forms.UUIDField(required=False)
    # Milliseconds of the browser's clock; outside 2020–2100 no working clock shows them.
    tapped_at = forms.IntegerField(required=False, min_value=CLIENT_MS_MIN, max_value=CLIENT_MS_MAX)
    sent_at = forms.IntegerField(required=False, min_value=CLIENT_MS_MIN, max_value=CLIENT_MS_MAX)


class OutcomeCorrectionForm(BootstrapMixin, forms.Form):
    """A supervisor's correction of one student's outcome; the reason is kept in the history."""

    student = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Hasil yang benar"), choices=[*Recording.Outcome.choices, (UNDO, _("Belum ada hasil (hapus)"))]
    )
    reason = forms.CharField(
        label=_("Alasan koreksi"), max_length=300, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


FIELD_SHEET_SUFFIXES = (".xlsx", ".ods", ".xls", ".xlsb")  # as downloaded, or saved again by LibreOffice, WPS, Excel


class FieldSheetUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Lembar lapangan (.xlsx; juga .ods, .xls, .xlsb bila disimpan ulang)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.ods,.xls,.xlsb,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Berkas terlalu besar (maksimal 5 MB)."))
        if not upload.name.lower().endswith(FIELD_SHEET_SUFFIXES):
            raise forms.ValidationError(
                _("Unggah berkas .xlsx (lembar lapangan yang diunduh dari halaman ini), atau .ods, .xls, .xlsb.")
            )
        return upload


class PlanningFilterForm(BootstrapMixin, forms.Form):
    kecamatan = forms.ModelChoiceField(
        label=_("Kecamatan"), queryset=Kecamatan.objects.order_by("name"), required=False, empty_label=_("Semua")
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    kits = forms.IntegerField(
        label=_("Alat per kunjungan (perkiraan)"),
        initial=1,
        min_value=1,
        max_value=20,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Semua")), *PlanningStatus.CHOICES]
        self.style_fields()


class KitForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Nama / nomor seri"), max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=Kit.Status.choices, initial=Kit.Status.READY)
    note = forms.CharField(label=_("Catatan"), max_length=300, required=False)

    def __init__(self, *args, with_status: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_status:
            del self.fields["status"]
        self.style_fields()


class KitStatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status baru"), choices=Kit.Status.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Catatan"),
        max_length=300,
        required=False,
        help_text=_("Misalnya kerusakannya, atau dipinjam ke mana dan sampai kapan."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class TripRowForm(BootstrapMixin, forms.Form):
    """One visit of a trip. Choices come from the trip form (computed once for every row)."""

    school = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    date = forms.DateField(label=_("Tanggal"), widget=DateInput())
    start_time = forms.TimeField(label=_("Jam mulai"), widget=TimeInput())
    kits = forms.TypedMultipleChoiceField(
        label=_("Alat perekaman"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pilih minimal satu alat perekaman.")},
    )
    team = forms.TypedMultipleChoiceField(
        label=_("Tim (petugas)"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, school_choices, kit_choices, team_choices, kit_days=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = school_choices
        self.fields["kits"].choices = kit_choices
        self.fields["team"].choices = team_choices
        self.fields["date"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.kit_day = None
        if kit_days is not None:
            self.kit_day = kit_days.get(self.chosen_date())
            if self.kit_day is not None:
                free = {option.kit.pk for option in self.kit_day.free}
                self.fields["kits"].widget.choices = [(pk, name) for pk, name in kit_choices if pk in free]
        self.style_fields()

    def chosen_date(self) -> datetime.date | None:
        raw = self.data.get(self.add_prefix("date")) if self.is_bound else self.initial.get("date")
        if isinstance(raw, datetime.date):
            return raw
        try:
            return self.fields["date"].to_python(raw)
        except forms.ValidationError:
            return None


class BaseTripFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Jangan jadwalkan baris ini")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


TripFormSet = forms.formset_factory(
    TripRowForm, formset=BaseTripFormSet, extra=0, min_num=1, max_num=40, validate_max=True, can_delete=True
)
