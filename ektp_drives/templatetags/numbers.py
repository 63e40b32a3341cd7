"""Numbers as Indonesian readers write them: "79,38 %" with a non-breaking space, so the sign never
wraps onto a line of its own. The one definition every page, print and chart label uses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats

register = template.Library()

NBSP = "\u00a0"


def grouped(value: int, separator: str | None = None) -> str:
    """``1234567`` → ``"1.234.567"`` in the active language (what ``number_format`` with forced
    grouping gives for an integer, at a fraction of its cost: tables print hundreds of them).
    A caller printing many passes the language's ``separator`` once."""
    return f"{value:,}".replace(",", separator or formats.get_format("THOUSAND_SEPARATOR"))


def decimal_text(number: Decimal, decimals: int = 2) -> str:
    """A decimal with ``decimals`` places and the active language's decimal sign, grouped (79,38)."""
    text = f"{number:,.{decimals}f}"
    thousands, point = formats.get_format("THOUSAND_SEPARATOR"), formats.get_format("DECIMAL_SEPARATOR")
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def percent_text(value, decimals: int = 2) -> str:
    """``79.38`` → ``"79,38 %"`` (in the active language's number format; NBSP before the sign)."""
    number = Decimal(str(value or 0)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{decimal_text(number, decimals)}{NBSP}%"


@register.filter
def percent(value, decimals: int = 2) -> str:
    return percent_text(value, int(decimals))
