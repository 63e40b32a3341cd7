"""Indonesian phone numbers: one normal form, and the number WhatsApp's click-to-chat link wants."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[\s\-.()/]")
# After the country code: a mobile (8xx, 9–13 digits) or a landline with area code (2–7xx, 7–11 digits).
_NATIONAL = re.compile(r"^(8\d{8,12}|[2-7]\d{6,10})$")


def normalize_phone(value: str) -> str:
    """Return ``value`` as +62…, or raise ValidationError with a message in the user's words.

    Accepts what people type: 0812-3456-7890, +62 812 3456 7890, 62812…, (0743) 21234.
    """
    raw = (value or "").strip()
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            raise ValidationError(_("Nomor telepon harus nomor Indonesia (+62 atau diawali 0)."), code="phone_country")
        national = digits[2:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise ValidationError(_("Nomor telepon diawali 0 atau +62, misalnya 0812 3456 7890."), code="phone_prefix")
    if not national.isdigit() or not _NATIONAL.match(national):
        raise ValidationError(
            _("“%(value)s” bukan nomor telepon yang benar. Contoh: 0812 3456 7890."),
            code="phone_invalid",
            params={"value": raw},
        )
    return "+62" + national


def whatsapp_number(value: str) -> str:
    """The digits wa.me expects (country code, no plus), or "" when ``value`` is not a valid number."""
    try:
        return normalize_phone(value)[1:]
    except ValidationError:
        return ""


def is_mobile(value: str) -> bool:
    """WhatsApp needs a mobile number (08…); a landline gets no click-to-chat link."""
    number = whatsapp_number(value)
    return number.startswith("628")
