"""The Django admin's history list: who changed what, when, old → new values.

The diff is read by ``ektp_drives.history`` (shared with the student page); NIK and No KK values
are masked here as in the admin's student list.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin

from ektp_drives.history import event_changes, event_user_id, event_user_names, format_changes


class HistoryEventsAdmin(EventsAdmin):
    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_model", "pgh_obj_id", "changes", "user"]

    def get_list_display(self, request):
        return self.list_display

    def changelist_view(self, request, extra_context=None):
        self._usernames = {}
        return super().changelist_view(request, extra_context)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self._usernames = event_user_names(changelist.result_list)
        return changelist

    @admin.display(description=_("perubahan"))
    def changes(self, event):
        return format_changes(event_changes(event, show_personal=False))

    @admin.display(description=_("oleh"))
    def user(self, event):
        user_id = event_user_id(event)
        if user_id is None:
            return _("sistem / perintah")
        return getattr(self, "_usernames", {}).get(user_id, f"#{user_id}")
