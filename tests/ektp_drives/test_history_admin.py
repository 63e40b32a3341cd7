"""The Django admin's history list reads in Indonesian: column names, record types, actions, one
date format; every tracked record's change form links to its history."""

import re

import pytest
from django.urls import reverse

from schools.models import Student
from tests.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged(client, superuser):
    assert client.login(username=superuser.username, password=PASSWORD)
    return client


def test_history_list_is_indonesian_and_readable(admin_client_logged, school):
    student = StudentFactory(school=school, name="Nama Lama")
    Student.objects.filter(pk=student.pk).update(name="Nama Baru")
    response = admin_client_logged.get(
        reverse("admin:pghistory_events_changelist"), {"obj": f"schools.Student:{student.pk}", "method": "tracks"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    head = table.split("</thead>", 1)[0]
    headers = re.findall(r'<th scope="col"[^>]*>\s*<div class="text">\s*(?:<a[^>]*>|<span>)([^<]+)<', head)
    assert [h.strip() for h in headers] == ["Waktu", "Tindakan", "Jenis data", "ID data", "Perubahan", "Oleh"]
    assert "Riwayat perubahan" in html and "Tracks" not in html
    assert set(re.findall(r'<td class="field-record_type">([^<]*)</td>', table)) == {"peserta didik"}
    assert set(re.findall(r'<td class="field-action">([^<]*)</td>', table)) == {"dibuat", "diubah"}
    assert "nama: Nama Lama → Nama Baru" in html
    moments = re.findall(r'<td class="field-when">([^<]+)</td>', html) + re.findall(
        r'<th class="field-when">(?:<a[^>]*>)?([^<]+)<', html
    )
    assert moments and all(re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", m) for m in moments), moments


def test_history_filters_are_named_in_indonesian(admin_client_logged, school):
    StudentFactory(school=school)
    html = admin_client_logged.get(reverse("admin:pghistory_events_changelist")).content.decode()
    sidebar = html.split('id="changelist-filter"', 1)[1].split("</nav>", 1)[0]
    titles = [t.strip() for t in re.findall(r"<summary>\s*([^<]+?)\s*</summary>", sidebar)]
    assert any("tindakan" in t for t in titles) and any("jenis data" in t for t in titles), titles
    assert not any("event model" in t or t.endswith("label") for t in titles), titles


def test_change_form_links_to_the_records_history(admin_client_logged, school):
    student = StudentFactory(school=school)
    html = admin_client_logged.get(reverse("admin:schools_student_change", args=[student.pk])).content.decode()
    link = reverse("admin:pghistory_events_changelist") + f"?obj=schools.Student:{student.pk}&amp;method=tracks"
    assert f'href="{link}"' in html
