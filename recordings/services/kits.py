"""Writes about the office's recording kits: registering them and changing their status."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from recordings.models import (
    Kit,
)


def _check_kit_name(name: str, *, exclude: Kit | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Tuliskan nama atau nomor seri alat."), code="name")
    same = Kit.objects.filter(name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        raise ValidationError(_("Sudah ada alat bernama ‘%(name)s’.") % {"name": name}, code="name_taken")
    return name


def _save_kit(kit: Kit, **save) -> Kit:
    try:
        with transaction.atomic():
            kit.save(**save)
    except IntegrityError as exc:  # two supervisors adding the same name at once
        raise ValidationError(_("Sudah ada alat bernama ‘%(name)s’.") % {"name": kit.name}, code="name_taken") from exc
    return kit


@transaction.atomic
def kit_create(*, name: str, status: str = Kit.Status.READY, note: str = "", by) -> Kit:
    """Add a recording kit to the office's registry."""
    if status not in Kit.Status.values:
        raise ValidationError(_("Status alat tidak dikenal."), code="status")
    kit = Kit(name=_check_kit_name(name), status=status, note=note.strip()[:300])
    return _save_kit(kit)


@transaction.atomic
def kit_update(*, kit: Kit, name: str, note: str = "", by) -> Kit:
    """Rename a kit or change its note (its status changes through ``kit_status_change``)."""
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    kit.name = _check_kit_name(name, exclude=kit)
    kit.note = note.strip()[:300]
    return _save_kit(kit, update_fields=["name", "note"])


@transaction.atomic
def kit_status_change(*, kit: Kit, status: str, note: str = "", by) -> Kit:
    """Mark a kit ready, broken or lent, with a note; the change is kept in the kit's history.

    A broken or lent kit keeps the bookings it already has (the kit page lists them so they can
    be given another kit); it cannot be put on a visit until it is ready again.
    """
    if status not in Kit.Status.values:
        raise ValidationError(_("Status alat tidak dikenal."), code="status")
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    if kit.status == status and kit.note == note.strip()[:300]:
        return kit
    kit.status = status
    kit.note = note.strip()[:300]
    kit.save(update_fields=["status", "note"])
    return kit
