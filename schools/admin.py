"""Django admin for data fixes: search, filters, masked numbers and history.

The recordings app adds the drive's completion columns to the school list (recordings/admin.py).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ektp_drives.admin_mixins import ReadOnlyAdminMixin
from schools.models import (
    ROUNDED_CODES,
    AccountProfile,
    Desa,
    Kecamatan,
    LeftProposal,
    NikConflict,
    NikRegion,
    PersonalDataAccess,
    School,
    SchoolAdmin,
    Student,
    StudentListUpload,
    mask_number,
)


@admin.register(Kecamatan)
class KecamatanAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Desa)
class DesaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "kecamatan"]
    list_filter = ["kind", "kecamatan"]
    search_fields = ["code", "name"]
    list_select_related = ["kecamatan"]


@admin.register(NikRegion)
class NikRegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "regency_name", "province_name"]
    search_fields = ["code", "name", "regency_name"]


class SchoolAdminInline(admin.TabularInline):
    model = SchoolAdmin
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(School)
class SchoolModelAdmin(admin.ModelAdmin):
    list_display = ["npsn", "name", "level", "status", "kecamatan"]
    list_filter = ["level", "status", "desa__kecamatan"]
    search_fields = ["npsn", "name"]
    list_select_related = ["desa__kecamatan"]
    autocomplete_fields = ["desa"]
    inlines = [SchoolAdminInline]

    @admin.display(description=_("kecamatan"), ordering="desa__kecamatan__name")
    def kecamatan(self, school):
        return school.desa.kecamatan.name

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset, may_have_duplicates


class RoundedNumberFilter(admin.SimpleListFilter):
    """Students whose NIK or No KK was read from a number cell ending in 0 (to check against the KK)."""

    title = _("NIK/No KK")
    parameter_name = "mungkin_dibulatkan"

    def lookups(self, request, model_admin):
        return [("1", _("perlu dicek: mungkin dibulatkan"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(data_warnings__overlap=list(ROUNDED_CODES))
        return queryset


@admin.register(Student)
class StudentModelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "school",
        "class_name",
        "gender",
        "birth_date",
        "nik_masked",
        "kk_masked",
        "nisn",
        "is_active",
    ]
    list_filter = ["is_active", RoundedNumberFilter, "gender", "school__level", "school__desa__kecamatan", "school"]
    search_fields = ["name", "=nik", "=nisn", "=kk", "school__npsn", "school__name"]
    list_select_related = ["school"]
    autocomplete_fields = ["school"]
    date_hierarchy = None
    show_full_result_count = False

    @admin.display(description="NIK")
    def nik_masked(self, student):
        return student.nik_masked

    @admin.display(description=_("No KK"))
    def kk_masked(self, student):
        return student.kk_masked


@admin.register(SchoolAdmin)
class SchoolAdminModelAdmin(admin.ModelAdmin):
    list_display = ["user", "school", "created_at"]
    search_fields = ["user__username", "school__name", "school__npsn"]
    list_select_related = ["user", "school"]
    autocomplete_fields = ["user", "school"]


@admin.register(StudentListUpload)
class StudentListUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "school", "uploaded_by", "source", "file_format", "status", "original_name"]
    list_filter = ["status", "source", "file_format", "school__desa__kecamatan"]
    search_fields = ["school__name", "school__npsn", "original_name", "uploaded_by__username"]
    list_select_related = ["school", "uploaded_by"]


@admin.register(NikConflict)
class NikConflictAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["school", "existing_student", "nik_masked", "row_number", "status"]
    list_filter = ["status"]
    search_fields = ["school__name", "school__npsn", "=nik"]
    list_select_related = ["school", "existing_student"]

    @admin.display(description="NIK")
    def nik_masked(self, conflict):
        return mask_number(conflict.nik)


@admin.register(LeftProposal)
class LeftProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["student", "upload", "status", "created_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["student__name", "upload__school__name"]
    list_select_related = ["student", "upload__school", "decided_by"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "school", "kind", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["user__username", "school__name", "school__npsn", "detail"]
    list_select_related = ["user", "school"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(AccountProfile)
class AccountProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "phone", "must_change_password", "created_by", "created_at", "deactivated_at"]
    list_filter = ["must_change_password"]
    search_fields = ["user__username", "user__first_name", "phone"]
    list_select_related = ["user", "created_by"]
    readonly_fields = ["created_by", "created_at", "password_changed_at", "deactivated_at"]
