"""Distances for planning: the travel figure staff entered, else the straight line from the office."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EARTH_RADIUS_KM = 6371.0088
COORDINATE_LABELS = {"latitude": gettext_lazy("Lintang"), "longitude": gettext_lazy("Bujur")}


def straight_line_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) between two points in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def office_point() -> tuple[float, float]:
    return settings.OFFICE_LATITUDE, settings.OFFICE_LONGITUDE


@dataclass(frozen=True)
class Travel:
    """How far a school is from the office, and whether that is a road figure or a straight line."""

    km: Decimal | None
    minutes: int | None
    straight_line: bool

    @property
    def known(self) -> bool:
        return self.km is not None or self.minutes is not None

    @property
    def sort_key(self) -> tuple[int, float]:
        """Schools without any figure sort last; otherwise by kilometres (then minutes)."""
        if self.km is not None:
            return (0, float(self.km))
        if self.minutes is not None:
            return (1, float(self.minutes))
        return (2, 0.0)


def travel_from_office(school) -> Travel:
    """The entered travel distance/time of ``school``; without one, the straight line from the office."""
    if school.distance_km is not None or school.travel_minutes is not None:
        return Travel(km=school.distance_km, minutes=school.travel_minutes, straight_line=False)
    if school.latitude is not None and school.longitude is not None:
        lat, lon = office_point()
        km = straight_line_km(lat, lon, float(school.latitude), float(school.longitude))
        return Travel(km=Decimal(str(round(km, 1))), minutes=None, straight_line=True)
    return Travel(km=None, minutes=None, straight_line=False)


# --- coordinates typed or imported ------------------------------------------------------------

COORDINATE_RANGES = {"latitude": (-90, 90), "longitude": (-180, 180)}
_COORDINATE = re.compile(r"^[+-]?(\d{1,3})(?:[.,](\d{1,12}))?$")


def parse_coordinate(value, *, kind: str) -> Decimal | None:
    """A latitude or longitude in decimal degrees from what people type or Dapodik shows:
    ``-1,6956`` and ``-1.6956`` alike; None for an empty value. Raises ValidationError naming the
    problem (not a number, out of range) in the user's words."""
    label = COORDINATE_LABELS[kind]
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        text = format(Decimal(str(value)), "f")
    else:
        text = str(value).strip().replace("\u2212", "-").replace(" ", "")
    if not text:
        return None
    match = _COORDINATE.match(text)
    if not match:
        raise ValidationError(
            _("%(label)s “%(value)s” bukan angka derajat desimal (contoh: -1,6956).")
            % {"label": label, "value": str(value).strip()[:40]},
            code="coordinate_not_number",
        )
    number = Decimal(text.replace(",", "."))
    low, high = COORDINATE_RANGES[kind]
    if not low <= number <= high:
        raise ValidationError(
            _("%(label)s %(value)s di luar rentang %(low)s sampai %(high)s.")
            % {"label": label, "value": str(value).strip()[:40], "low": low, "high": high},
            code="coordinate_range",
        )
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def in_regency(latitude, longitude) -> bool:
    """Whether a point lies inside the regency's rough bounding box (``REGENCY_BOUNDS``: south,
    west, north, east); a point outside is most likely a typing slip (a missing minus sign, lat and
    lon swapped) and is flagged, not refused."""
    south, west, north, east = settings.REGENCY_BOUNDS
    return south <= float(latitude) <= north and west <= float(longitude) <= east
