"""Numbers as Indonesian readers write them: "79,38 %" with a non-breaking space, so the sign never
wraps onto a line of its own. The one definition every page, print and chart label uses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats

register = template.Library()

NBSP = "\u00a0"


def percent_text(value, decimals: int = 2) -> str:
    """``79.38`` → ``"79,38 %"`` (in the active language's number format; NBSP before the sign)."""
    number = Decimal(str(value or 0)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{formats.number_format(number, decimals, use_l10n=True)}{NBSP}%"


@register.filter
def percent(value, decimals: int = 2) -> str:
    return percent_text(value, int(decimals))
