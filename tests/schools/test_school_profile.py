"""A school's profile page and its edit form: who may change what, the phone and coordinate rules,
the straight-line fallback and the history entry."""

from __future__ import annotations

from decimal import Decimal

import pghistory.models
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from schools import services
from schools.models import School
from tests.factories import OperatorFactory, SchoolAdminUserFactory

pytestmark = pytest.mark.django_db

FULL = {
    "address": "Jl. Gajah Mada No. 1",
    "contact_name": "Bu Rina",
    "contact_phone": "0812-3456-7890",
    "latitude": "-1,6956",
    "longitude": "103.2648",
    "distance_km": "12,5",
    "travel_minutes": "25",
}


def _profile(school):
    return reverse("schools:school_profile", args=[school.npsn])


def _edit(school):
    return reverse("schools:school_profile_edit", args=[school.npsn])


def test_supervisor_edits_every_field_stored_in_normal_form_with_history(client, supervisor, school):
    client.force_login(supervisor)
    response = client.post(_edit(school), FULL)
    assert response.status_code == 302 and response.url == _profile(school)
    school.refresh_from_db()
    assert school.address == "Jl. Gajah Mada No. 1"
    assert school.contact_name == "Bu Rina"
    assert school.contact_phone == "+6281234567890"
    assert (school.latitude, school.longitude) == (Decimal("-1.695600"), Decimal("103.264800"))
    assert (school.distance_km, school.travel_minutes) == (Decimal("12.5"), 25)
    event = pghistory.models.Events.objects.get(
        pgh_obj_model="schools.School", pgh_obj_id=school.pk, pgh_label="update"
    )
    assert event.pgh_label == "update"
    assert event.pgh_context["user"] == supervisor.pk
    assert event.pgh_diff["contact_phone"] == ["", "+6281234567890"]

    page = client.get(_profile(school)).content.decode()
    assert "+6281234567890" in page and "Bu Rina" in page and "12,5 km" in page and "25 menit" in page
    assert "garis lurus" not in page.split('data-testid="profile-distance"')[1].split("</dd>")[0]


def test_the_same_values_again_change_nothing(client, supervisor, school):
    client.force_login(supervisor)
    client.post(_edit(school), FULL)
    history = pghistory.models.Events.objects.filter(pgh_obj_id=school.pk, pgh_obj_model="schools.School")
    events = history.count()
    assert client.post(_edit(school), FULL).status_code == 302
    assert history.count() == events


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_phone", "12345", "diawali 0 atau +62"),
        ("contact_phone", "0812", "bukan nomor telepon yang benar"),
        ("latitude", "-1,69,56", "bukan angka derajat desimal"),
        ("latitude", "-91", "Lintang -91 di luar rentang -90 sampai 90"),
        ("longitude", "181,5", "Bujur 181,5 di luar rentang -180 sampai 180"),
        ("longitude", "", "Isi lintang dan bujur bersama-sama"),
        ("distance_km", "-3", "Jarak harus antara 0"),
        ("distance_km", "jauh", "Isi jarak dalam kilometer"),
        ("travel_minutes", "1,5", "menit (angka bulat)"),
    ],
)
def test_bad_values_get_a_clear_form_error_and_nothing_is_saved(client, supervisor, school, field, value, message):
    client.force_login(supervisor)
    response = client.post(_edit(school), {**FULL, field: value})
    assert response.status_code == 422
    assert message in response.content.decode()
    school.refresh_from_db()
    assert school.contact_phone == "" and school.latitude is None


def test_school_admin_edits_only_the_contact_of_their_own_school(client, school, other_school):
    admin = SchoolAdminUserFactory(school=school)
    client.force_login(admin)
    form = client.get(_edit(school)).content.decode()
    assert 'name="contact_phone"' in form and 'name="latitude"' not in form and 'name="address"' not in form
    response = client.post(_edit(school), {**FULL, "contact_phone": "+62 743 21234"})
    assert response.status_code == 302
    school.refresh_from_db()
    assert (school.contact_name, school.contact_phone) == ("Bu Rina", "+6274321234")
    assert school.latitude is None and school.address == ""  # posted, but not theirs to change
    assert client.get(_edit(other_school)).status_code == 404
    assert client.post(_edit(other_school), FULL).status_code == 404
    assert client.get(_profile(other_school)).status_code == 404
    assert client.get(_profile(school)).status_code == 200


def test_operator_reads_but_may_not_edit(client, school):
    client.force_login(OperatorFactory())
    page = client.get(_profile(school))
    assert page.status_code == 200 and _edit(school) not in page.content.decode()
    assert client.get(_edit(school)).status_code == 403
    assert client.post(_edit(school), FULL).status_code == 403


def test_without_a_travel_figure_the_straight_line_is_shown_marked(client, supervisor, school, settings):
    settings.OFFICE_LATITUDE, settings.OFFICE_LONGITUDE = -1.7, 103.26
    School.objects.filter(pk=school.pk).update(latitude=Decimal("-1.8"), longitude=Decimal("103.26"))
    client.force_login(supervisor)
    page = client.get(_profile(school)).content.decode()
    distance = page.split('data-testid="profile-distance"')[1].split("</dd>")[0]
    assert "± 11,1 km" in distance and "garis lurus" in distance


def test_a_point_outside_the_regency_is_flagged_on_the_profile(client, supervisor, school):
    School.objects.filter(pk=school.pk).update(latitude=Decimal("1.7"), longitude=Decimal("103.26"))  # minus lost
    client.force_login(supervisor)
    assert 'data-testid="outside-regency"' in client.get(_profile(school)).content.decode()


def test_service_refuses_a_malformed_phone_and_half_a_point(supervisor, school):
    with pytest.raises(ValidationError) as caught:
        services.school_profile_update(school=school, by=supervisor, contact_phone="abc")
    assert "contact_phone" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.school_profile_update(school=school, by=supervisor, latitude=Decimal("-1.7"))
    school.refresh_from_db()
    assert school.latitude is None
    with pytest.raises(TypeError):
        services.school_profile_update(school=school, by=supervisor, name="Renamed")
    assert services.school_profile_update(school=school, by=supervisor, contact_phone="0812 3456 7890") == [
        "contact_phone"
    ]
    assert school.contact_phone == "+6281234567890"
