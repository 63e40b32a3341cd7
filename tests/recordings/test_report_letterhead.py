"""The printed progress report's letterhead and signature block come from settings."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.factories import DriveFactory, StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive(school):
    StudentFactory(school=school)
    today = datetime.date.today()
    return DriveFactory(start_date=today, end_date=today + datetime.timedelta(days=30), schools=[school])


def _part(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}">', 1)[1].split("</div>", 1)[0]


def test_letterhead_and_signature_from_settings(client, supervisor, drive, settings):
    settings.OFFICE_NAME = "Dinas Kependudukan dan Pencatatan Sipil"
    settings.OFFICE_REGENCY = "Kabupaten Batanghari"
    settings.OFFICE_PLACE = "Muara Bulian"
    settings.REPORT_SIGNER_NAME = "Drs. Contoh Nama"
    settings.REPORT_SIGNER_NIP = "19700101 199003 1 001"
    client.force_login(supervisor)
    html = client.get(reverse("progress_report")).content.decode()
    assert "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Batanghari" in _part(html, "letterhead")
    signature = html.split('data-testid="signature">', 1)[1].split("</div>\n</div>", 1)[0]
    assert "Muara Bulian, " in signature
    assert "Kepala Dinas" in signature
    assert "Drs. Contoh Nama" in signature and "NIP 19700101 199003 1 001" in signature


def test_signature_leaves_room_when_no_signer_is_set(client, supervisor, drive, settings):
    settings.REPORT_SIGNER_NAME = ""
    settings.REPORT_SIGNER_NIP = ""
    client.force_login(supervisor)
    html = client.get(reverse("progress_report")).content.decode()
    signature = html.split('data-testid="signature">', 1)[1]
    assert signature.count("………………………………") == 2  # name and NIP written by hand


def test_env_example_documents_the_office_settings():
    text = (Path(django_settings.BASE_DIR) / ".env.example").read_text(encoding="utf-8")
    for name in ("OFFICE_NAME", "OFFICE_REGENCY", "OFFICE_PLACE", "REPORT_SIGNER_NAME", "REPORT_SIGNER_NIP"):
        assert f"\n{name}=" in text
