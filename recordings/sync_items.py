"""The declared shape of a batch of offline taps (``POST /kunjungan/sinkron/``), checked before any write.

A batch is read with a JSON parser that refuses non-finite numbers (``NaN``, ``Infinity``, ``1e400``)
and answers a nesting bomb with a parse error instead of a crash. Each item is then checked field by
field: ids are positive integers (``true`` is not 1), times are integer milliseconds a working
clock can show, the outcome is one the app knows, the reason fits its column.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _

from recordings.forms import UNDO
from recordings.models import Recording
from recordings.services import MAX_REASON_LENGTH, client_ms_is_valid

MAX_ID = 2**63 - 1  # PostgreSQL bigint
MAX_CLIENT_ID_LENGTH = 64


class BatchUnreadable(ValueError):
    """The body is not a JSON object with an ``actions`` list."""


def _refuse_constant(name: str):
    raise ValueError(f"non-finite number {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("non-finite number")
    return value


def parse_batch(body: bytes) -> list:
    """The ``actions`` list of a sync body; ``BatchUnreadable`` for anything else."""
    try:
        payload = json.loads(body or b"{}", parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; deep nesting recurses
        raise BatchUnreadable from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("actions"), list):
        raise BatchUnreadable
    return payload["actions"]


@dataclass(frozen=True)
class SyncItem:
    client_id: uuid.UUID
    visit_id: int
    student_id: int
    outcome: str | None  # None: undo
    reason: str
    tapped_ms: int | None
    sent_ms: int | None
    queued_by: int | None


class ItemInvalid(ValueError):
    def __init__(self, client_id: str, message: str):
        super().__init__(message)
        self.client_id = client_id
        self.message = message


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _client_ms(value) -> int | None:
    """Milliseconds as sent by ``Date.now()``; a whole float is taken, anything else refused."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not client_ms_is_valid(value):
        raise ValueError
    return value


def clean_item(item) -> SyncItem:
    """Check one item of a batch; ``ItemInvalid`` names the first problem."""
    if not isinstance(item, dict):
        raise ItemInvalid("", _("Data tidak terbaca."))
    raw_id = item.get("client_id")
    shown_id = raw_id[:MAX_CLIENT_ID_LENGTH] if isinstance(raw_id, str) else ""
    try:
        if not isinstance(raw_id, str) or len(raw_id) > MAX_CLIENT_ID_LENGTH:
            raise ValueError
        client_id = uuid.UUID(raw_id)
    except ValueError:
        raise ItemInvalid(shown_id, _("Id tindakan tidak sah.")) from None
    shown_id = str(client_id)
    if not _is_id(item.get("visit")):
        raise ItemInvalid(shown_id, _("Kunjungan tidak ditemukan atau Anda tidak berhak mencatat hasilnya."))
    if not _is_id(item.get("student")):
        raise ItemInvalid(shown_id, _("Peserta didik tidak ada di daftar kunjungan ini."))
    outcome = item.get("outcome")
    if not isinstance(outcome, str) or (outcome != UNDO and outcome not in Recording.Outcome.values):
        raise ItemInvalid(shown_id, _("Hasil tidak dikenal."))
    reason = item.get("reason")
    if reason is None:
        reason = ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH:
        raise ItemInvalid(shown_id, _("Alasan terlalu panjang (maksimal 300 karakter)."))
    try:
        tapped_ms = _client_ms(item.get("tapped_at"))
        sent_ms = _client_ms(item.get("sent_at"))
    except ValueError:
        raise ItemInvalid(shown_id, _("Waktu tindakan tidak sah. Muat ulang halaman.")) from None
    queued_by = item.get("queued_by")
    if queued_by is not None and not _is_id(queued_by):
        raise ItemInvalid(shown_id, _("Data tidak terbaca."))
    return SyncItem(
        client_id=client_id,
        visit_id=item["visit"],
        student_id=item["student"],
        outcome=None if outcome == UNDO else outcome,
        reason=reason if outcome == Recording.Outcome.NOT_ELIGIBLE else "",
        tapped_ms=tapped_ms,
        sent_ms=sent_ms,
        queued_by=queued_by,
    )
