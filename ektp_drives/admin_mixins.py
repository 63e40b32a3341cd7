"""Shared Django admin pieces."""


class ReadOnlyAdminMixin:
    """Show records that only the app's services may write (logs, uploads, decisions)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
