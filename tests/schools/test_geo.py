"""Distances for planning: the entered travel figure first, else the straight line from the office."""

from decimal import Decimal

import pytest

from schools.geo import straight_line_km, travel_from_office
from schools.models import School


def test_straight_line_matches_a_known_distance():
    # One degree of latitude along a meridian is about 111.2 km.
    assert straight_line_km(-1.0, 103.0, -2.0, 103.0) == pytest.approx(111.2, abs=0.1)
    assert straight_line_km(-1.7, 103.26, -1.7, 103.26) == 0


def test_entered_figure_wins_over_coordinates(settings):
    settings.OFFICE_LATITUDE, settings.OFFICE_LONGITUDE = -1.7, 103.26
    school = School(latitude=Decimal("-1.8"), longitude=Decimal("103.26"), distance_km=Decimal("25.5"))
    travel = travel_from_office(school)
    assert (travel.km, travel.straight_line) == (Decimal("25.5"), False)

    school.distance_km = None
    travel = travel_from_office(school)
    assert travel.straight_line and travel.km == Decimal("11.1")

    school.latitude = None
    assert not travel_from_office(school).known
    school.travel_minutes = 90
    travel = travel_from_office(school)
    assert (travel.km, travel.minutes, travel.straight_line) == (None, 90, False)
