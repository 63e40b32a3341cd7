"""Words on pages and prints: Django's own texts say "kata sandi", the login error reads once, the
attendance sheet's number column is "No.", percentages keep their sign, optional fields say so once."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from ektp_drives.templatetags.numbers import percent_text
from recordings.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db


def test_login_error_names_the_problem_once(client, operator):
    response = client.post(reverse("login"), {"username": "operator", "password": "salah"})
    page = response.content.decode()
    assert "Nama pengguna atau kata sandi salah." in page
    assert "nama pengguna nama pengguna" not in page.lower()


def test_password_help_texts_say_kata_sandi():
    with translation.override("id"):
        texts = password_validators_help_texts()
    assert texts and all(text.startswith("Kata sandi") for text in texts), texts


def test_first_password_form_says_kata_sandi_everywhere(client, school_admin):
    client.force_login(school_admin)
    page = client.get(reverse("schools:password_first")).content.decode()
    assert "Kata sandi Anda tidak boleh" in page
    assert "Sandi anda" not in page


def test_attendance_sheet_number_column_is_no_dot(client, operator):
    visit, _students = factories.visit_with_students(students=1)
    client.force_login(operator)
    page = client.get(reverse("visit_attendance", args=[visit.pk])).content.decode()
    assert '<th scope="col">No.</th>' in page
    assert '<th scope="col">Tidak</th>' not in page


def test_percent_keeps_its_sign_on_the_line():
    with translation.override("id"):
        assert percent_text("79.375") == "79,38\u00a0%"
        rendered = Template("{% load numbers %}{{ value|percent }}").render(Context({"value": 100}))
    assert rendered == "100,00\u00a0%"
    with translation.override("en"):
        assert percent_text(5) == "5.00\u00a0%"


def test_postpone_form_says_optional_once(client, supervisor):
    visit = factories.VisitFactory(date=datetime.date.today() + datetime.timedelta(days=3), status=Visit.Status.PLANNED)
    client.force_login(supervisor)
    page = client.get(reverse("visit_postpone", args=[visit.pk])).content.decode()
    assert "Tanggal baru" in page
    assert "boleh dikosongkan" not in page
    label = page[page.index("Tanggal baru") :].split("</label>", 1)[0]
    assert label.count("boleh") == 1, label
