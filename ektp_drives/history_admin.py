"""The Django admin's history list ("Riwayat perubahan"): when, what was done to which record, old →
new values, by whom; in Indonesian, with one date format.

The diff is read by ``ektp_drives.history`` (shared with the student page); NIK and No KK values
are masked here as in the admin's student list.
"""

from django.apps import apps
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin
from pghistory.admin.core import EventModelFilter, LabelFilter, MethodFilter, ModelFilter, ObjFilter

from ektp_drives.history import (
    DATETIME_FORMAT,
    event_changes,
    event_user_id,
    event_user_names,
    format_changes,
    tracked_model,
)

ACTION_LABELS = {
    "insert": _("dibuat"),
    "update": _("diubah"),
    "delete": _("dihapus"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


class ActionFilter(LabelFilter):
    title = _("tindakan")

    def lookups(self, request, model_admin):
        return [(code, action_label(code)) for code, _label in super().lookups(request, model_admin)]


class ScopeFilter(MethodFilter):
    title = _("cakupan")

    def lookups(self, request, model_admin):
        return (("tracks", _("perubahan data ini")), ("references", _("data lain yang merujuk ke data ini")))


class RecordTypeFilter(EventModelFilter):
    title = _("jenis data")

    def lookups(self, request, model_admin):
        named = []
        for code, _label in super().lookups(request, model_admin):
            try:
                tracked = getattr(apps.get_model(code), "pgh_tracked_model", None)
            except (LookupError, ValueError):
                tracked = None
            named.append((code, str(tracked._meta.verbose_name) if tracked is not None else code))
        return sorted(named, key=lambda item: item[1])


class HistoryEventsAdmin(EventsAdmin):
    list_display = ["when", "action", "record_type", "record_id", "changes", "user"]

    def get_list_display(self, request):
        return self.list_display

    def get_list_filter(self, request):
        filters = [ActionFilter, RecordTypeFilter]
        if "obj" in request.GET:
            filters.extend([ScopeFilter, ObjFilter])
        elif "model" in request.GET:
            filters.append(ModelFilter)
        return filters

    def changelist_view(self, request, extra_context=None):
        self._usernames = {}
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["title"] = _("Riwayat perubahan")
            subtitle = response.context_data.get("subtitle") or ""
            for method in ("Tracks ", "References "):  # pghistory's English prefix before the record
                subtitle = subtitle.removeprefix(method)
            if subtitle:
                response.context_data["subtitle"] = subtitle
        return response

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self._usernames = event_user_names(changelist.result_list)
        return changelist

    @admin.display(description=_("waktu"), ordering="pgh_created_at")
    def when(self, event):
        return timezone.localtime(event.pgh_created_at).strftime(DATETIME_FORMAT)

    @admin.display(description=_("tindakan"))
    def action(self, event):
        return action_label(event.pgh_label)

    @admin.display(description=_("jenis data"))
    def record_type(self, event):
        model = tracked_model(event)
        return str(model._meta.verbose_name) if model is not None else event.pgh_obj_model

    @admin.display(description=_("ID data"))
    def record_id(self, event):
        return event.pgh_obj_id

    @admin.display(description=_("perubahan"))
    def changes(self, event):
        return format_changes(event_changes(event, show_personal=False))

    @admin.display(description=_("oleh"))
    def user(self, event):
        user_id = event_user_id(event)
        if user_id is None:
            return _("sistem / perintah")
        return getattr(self, "_usernames", {}).get(user_id, f"#{user_id}")
