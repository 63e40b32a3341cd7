"""Distances for planning: the travel figure staff entered, else the straight line from the office."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

EARTH_RADIUS_KM = 6371.0088


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
