"""Django admin for drives, visits and outcomes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recordings.models import Drive, DriveSchool, Recording, Visit, VisitTeamMember


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


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["date", "school", "drive", "status", "postponement_reason", "kits"]
    list_filter = ["status", "postponement_reason", "drive", "school__desa__kecamatan", "school__level"]
    search_fields = ["school__name", "school__npsn"]
    list_select_related = ["school", "drive"]
    autocomplete_fields = ["school", "drive"]
    date_hierarchy = "date"
    inlines = [VisitTeamMemberInline]
    readonly_fields = ["created_by", "created_at"]


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
