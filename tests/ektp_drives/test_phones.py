"""Phone numbers as people type them, in one normal form (the school's contact, WhatsApp links)."""

import pytest
from django.core.exceptions import ValidationError

from ektp_drives.phones import is_mobile, normalize_phone, whatsapp_number


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("(0743) 21234", "+6274321234"),
        ("0813.1234.567", "+628131234567"),
    ],
)
def test_normal_form(typed, normal):
    assert normalize_phone(typed) == normal


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("812345678", "phone_prefix"),
        ("+1 202 555 0100", "phone_country"),
        ("0812-ABCD-7890", "phone_invalid"),
        ("0812", "phone_invalid"),
        ("08123456789012345", "phone_invalid"),
    ],
)
def test_bad_numbers_name_the_problem(typed, code):
    with pytest.raises(ValidationError) as raised:
        normalize_phone(typed)
    assert raised.value.code == code


def test_whatsapp_wants_digits_and_a_mobile():
    assert whatsapp_number("0812 3456 7890") == "6281234567890"
    assert whatsapp_number("nomor salah") == ""
    assert is_mobile("0812 3456 7890")
    assert not is_mobile("(0743) 21234")
