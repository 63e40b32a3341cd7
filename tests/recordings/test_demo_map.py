"""The demo season's schools have synthetic coordinates near their kecamatan, inside the regency,
so the demo's map shows every school."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from recordings.demo import KECAMATAN_CENTRES
from recordings.selectors import drive_current
from recordings.selectors.map import NOT_VISITED, POSTPONED, VISITED, drive_map
from schools.geo import in_regency, straight_line_km
from schools.models import School

pytestmark = pytest.mark.django_db


def test_demo_schools_are_placed_near_their_kecamatan(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    schools = list(School.objects.select_related("desa__kecamatan"))
    assert len(schools) == 28
    for school in schools:
        assert school.latitude is not None and in_regency(school.latitude, school.longitude), school.name
        lat, lon = KECAMATAN_CENTRES[school.desa.kecamatan.name]
        assert straight_line_km(lat, lon, float(school.latitude), float(school.longitude)) < 6, school.name
    school_map = drive_map(drive_current())
    assert len(school_map.placed) == 28 and not school_map.unplaced
    waiting = {s.name: s.marker for s in school_map.schools if s.marker != VISITED}
    assert waiting == {"SMKN 5 Batanghari": POSTPONED, "SMAN 9 BATANG HARI": NOT_VISITED}  # the power cut
    client.force_login(get_user_model().objects.get(username="dukcapil"))
    html = client.get(reverse("progress_map"), HTTP_HX_REQUEST="true").content.decode()
    assert html.split('data-testid="school-map-svg"')[1].split("</svg>")[0].count("<use ") == 28
