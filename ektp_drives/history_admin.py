"""The Django admin's history list: who changed what, when, old → new values."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin


class HistoryEventsAdmin(EventsAdmin):
    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_model", "pgh_obj_id", "changes", "user"]

    def get_list_display(self, request):
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        self._usernames = {}
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        user_ids = {(event.pgh_context or {}).get("user") for event in changelist.result_list if event.pgh_context} - {
            None
        }
        self._usernames = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
        return changelist

    @admin.display(description=_("perubahan"))
    def changes(self, event):
        diff = event.pgh_diff or {}
        return "; ".join(f"{field}: {old!r} → {new!r}" for field, (old, new) in diff.items()) or "—"

    @admin.display(description=_("oleh"))
    def user(self, event):
        user_id = (event.pgh_context or {}).get("user")
        if user_id is None:
            return _("sistem / perintah")
        return getattr(self, "_usernames", {}).get(user_id, f"#{user_id}")
