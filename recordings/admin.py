"""Django admin for drives, visits and outcomes."""

from django.contrib import admin
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ektp_drives.admin_mixins import ReadOnlyAdminMixin
from recordings.models import (
    Drive,
    DriveSchool,
    FieldSheetUpload,
    Kit,
    Recording,
    RecordingAction,
    Visit,
    VisitKit,
    VisitNotice,
    VisitTeamMember,
)
from recordings.selectors.drives import drive_current
from recordings.selectors.progress import completion_percent, figure, schools_with_progress
from schools.admin import SchoolModelAdmin
from schools.models import School


class DriveSchoolInline(admin.TabularInline):
    model = DriveSchool
    extra = 0
    autocomplete_fields = ["school"]


@admin.register(Drive)
class DriveAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date", "reference_date", "students_per_kit_per_day"]
    search_fields = ["name"]
    inlines = [DriveSchoolInline]


class VisitTeamMemberInline(admin.TabularInline):
    model = VisitTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class VisitKitInline(admin.TabularInline):
    """A kit on a visit. The day and "active" columns are kept by the database (double-booking guard)."""

    model = VisitKit
    extra = 0
    autocomplete_fields = ["kit"]


@admin.register(Kit)
class KitAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "note"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """A superuser may change a visit here: the database trigger keeps its kits' and team's booking
    columns (day, active) right, and the unique indexes still refuse a double booking."""

    list_display = ["date", "school", "drive", "status", "postponement_reason", "kit_count"]
    list_filter = ["status", "postponement_reason", "drive", "school__desa__kecamatan", "school__level"]
    search_fields = ["school__name", "school__npsn"]
    list_select_related = ["school", "drive"]
    autocomplete_fields = ["school", "drive"]
    date_hierarchy = "date"
    inlines = [VisitKitInline, VisitTeamMemberInline]
    readonly_fields = ["created_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("kits")

    @admin.display(description=_("alat"))
    def kit_count(self, visit):
        return visit.kit_count


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "student", "school", "outcome", "recorded_by", "visit_date"]
    list_filter = ["outcome", "visit__drive", "visit__school__desa__kecamatan"]
    search_fields = ["student__name", "=student__nik", "=student__nisn", "visit__school__name", "visit__school__npsn"]
    list_select_related = ["student", "visit__school", "recorded_by"]
    autocomplete_fields = ["student", "visit", "recorded_by"]
    show_full_result_count = False

    @admin.display(description=_("sekolah"), ordering="visit__school__name")
    def school(self, recording):
        return recording.visit.school

    @admin.display(description=_("tanggal kunjungan"), ordering="visit__date")
    def visit_date(self, recording):
        return recording.visit.date


@admin.register(RecordingAction)
class RecordingActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only log of every tap (the database refuses edits and deletes)."""

    list_display = ["tapped_at", "student", "visit", "kind", "outcome", "source", "by"]
    list_filter = ["kind", "outcome", "source", "visit__drive"]
    search_fields = ["student__name", "=student__nisn", "visit__school__name", "visit__school__npsn"]
    list_select_related = ["student", "visit__school", "by"]
    show_full_result_count = False


@admin.register(FieldSheetUpload)
class FieldSheetUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["uploaded_at", "visit", "uploaded_by", "status", "rows_total", "rows_applied", "rows_error"]
    list_filter = ["status", "visit__drive"]
    search_fields = ["visit__school__name", "visit__school__npsn", "original_name"]
    list_select_related = ["visit__school", "uploaded_by"]
    exclude = ["rows"]


class InActiveDriveFilter(admin.SimpleListFilter):
    title = _("ikut kegiatan aktif")
    parameter_name = "in_drive"

    def lookups(self, request, model_admin):
        return [("yes", _("Ya")), ("no", _("Tidak"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(in_drive=True)
        if self.value() == "no":
            return queryset.filter(in_drive=False)
        return queryset


def _progress_column(code: str, ordering: str | None):
    definition = figure(code)

    @admin.display(description=definition.label, ordering=ordering)
    def column(self, school):
        if not getattr(school, "in_drive", False):
            return "—"
        if code == "completion":
            if not school.drive_target:
                return "—"
            return number_format(completion_percent(school.drive_done, school.drive_target), 2)
        return getattr(school, f"drive_{code}", None)

    column.short_description = definition.label
    return column


class SchoolProgressAdmin(SchoolModelAdmin):
    """The school list with the current drive's figures, from the read model (same names as the pages)."""

    list_display = [*SchoolModelAdmin.list_display, "target", "done", "completion", "remaining", "proposed_left"]
    list_filter = [*SchoolModelAdmin.list_filter, InActiveDriveFilter, "drive_links__drive"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        drive = drive_current()
        if drive is None:
            return queryset
        return schools_with_progress(queryset, drive)

    target = _progress_column("target", "drive_target")
    done = _progress_column("done", "drive_done")
    completion = _progress_column("completion", "drive_completion")
    remaining = _progress_column("remaining", "drive_remaining")
    proposed_left = _progress_column("proposed_left", "drive_proposed_left")


admin.site.unregister(School)
admin.site.register(School, SchoolProgressAdmin)


@admin.register(VisitNotice)
class VisitNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The log of notices to schools (written only by the app: after planning changes, reminders, taps)."""

    list_display = ["created_at", "visit", "kind", "channel", "recipient", "status", "by", "sent_at"]
    list_filter = ["kind", "channel", "status", "visit__drive"]
    search_fields = ["recipient", "visit__school__name", "visit__school__npsn"]
    list_select_related = ["visit__school", "by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
