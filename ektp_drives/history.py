"""History of changes, recorded by PostgreSQL triggers (django-pghistory).

Triggers also fire for bulk inserts, ``QuerySet.update`` and COPY, which signal-based audit
packages miss. The request's user and URL are attached by ``pghistory.middleware``.

The helpers below turn an event (``pghistory.models.Events``, which carries ``pgh_diff``) into
"field label: old → new" lines and name the user who made it. The Django admin's history list and
the student page both use them, so there is one way of reading a diff.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

import pghistory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp_drives.personal_data import mask_personal_numbers

# Columns holding a NIK or No KK: masked unless the viewer may see personal data.
PERSONAL_COLUMNS = frozenset({"nik", "kk"})
# Columns every update touches or that never change: left out of the change list.
HIDDEN_COLUMNS = frozenset({"id", "created_at", "updated_at"})
EMPTY = "—"
# One way of writing a moment and a day in every history list (admin and student page).
DATETIME_FORMAT = "%d-%m-%Y %H:%M"
DATE_FORMAT = "%d-%m-%Y"


def track():
    """Return the decorator that records inserts, updates and deletes of a model."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
    )


@dataclass(frozen=True)
class Change:
    """One changed field of an event, ready to show."""

    column: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old} → {self.new}"


def tracked_model(event) -> type[models.Model] | None:
    """The model an aggregate event (``pghistory.models.Events``) belongs to."""
    try:
        return apps.get_model(event.pgh_obj_model)
    except (LookupError, ValueError, AttributeError):
        return None


def display_value(field: models.Field | None, value, *, show_personal: bool, labels: Mapping | None = None) -> str:
    """A value from an event's JSON as a person reads it (choices by label, dates as dd-mm-yyyy;
    ``labels`` names codes, e.g. the warning codes of a list field)."""
    if value is None or value == "" or value == []:
        return EMPTY
    if labels is not None:
        items = value if isinstance(value, list) else [value]
        text = ", ".join(str(labels.get(item, item)) for item in items)
    elif isinstance(value, bool):
        text = _("ya") if value else _("tidak")
    elif field is not None and field.choices:
        text = str(dict(field.flatchoices).get(value, value))
    elif isinstance(value, list):
        text = ", ".join(str(item) for item in value)
    elif isinstance(field, models.DateTimeField) and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
            text = timezone.localtime(moment).strftime(DATETIME_FORMAT) if timezone.is_aware(moment) else value
        except ValueError:
            text = value
    elif isinstance(field, models.DateField) and isinstance(value, str):
        try:
            text = datetime.date.fromisoformat(value[:10]).strftime(DATE_FORMAT)
        except ValueError:
            text = value
    elif isinstance(field, models.ForeignKey):
        text = f"#{value}"
    else:
        text = str(value)
    if not show_personal:
        if field is not None and field.column in PERSONAL_COLUMNS:
            from schools.models import mask_number  # schools.models imports this module

            text = mask_number(text)
        text = mask_personal_numbers(text)
    return text


def event_changes(
    event,
    *,
    show_personal: bool,
    model: type[models.Model] | None = None,
    value_labels: Mapping[str, Mapping] | None = None,
) -> list[Change]:
    """The changed fields of an update event, labelled by the model's field names.

    Inserts and deletes have no diff (an empty list). ``show_personal=False`` masks NIK / No KK
    values (and any other 16-digit number). ``value_labels`` maps a column to labels of its codes.
    """
    value_labels = value_labels or {}
    diff = getattr(event, "pgh_diff", None) or {}
    model = model or tracked_model(event)
    fields = {f.column: f for f in model._meta.concrete_fields} if model is not None else {}
    changes = []
    for column, (old, new) in diff.items():
        if column in HIDDEN_COLUMNS:
            continue
        field = fields.get(column)
        label = str(field.verbose_name) if field is not None else column
        changes.append(
            Change(
                column=column,
                label=label,
                old=display_value(field, old, show_personal=show_personal, labels=value_labels.get(column)),
                new=display_value(field, new, show_personal=show_personal, labels=value_labels.get(column)),
            )
        )
    return changes


def format_changes(changes: list[Change]) -> str:
    """One line: "label: old → new; label: old → new" (an em dash when nothing changed)."""
    return "; ".join(str(change) for change in changes) or EMPTY


def event_user_id(event) -> int | None:
    """The id of the user who made the change (from the request context), None for commands."""
    context = getattr(event, "pgh_context", None) or {}
    user_id = context.get("user")
    return user_id if isinstance(user_id, int) else None


def event_user_names(events, *, full_names: bool = False) -> dict[int, str]:
    """The users behind ``events`` by id, in one query (username, or full name when asked)."""
    user_ids = {event_user_id(event) for event in events} - {None}
    if not user_ids:
        return {}
    users = get_user_model().objects.filter(pk__in=user_ids).only("pk", "username", "first_name", "last_name")
    return {user.pk: (user.get_full_name() if full_names else "") or user.get_username() for user in users}
