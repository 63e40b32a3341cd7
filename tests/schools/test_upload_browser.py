"""In headless Chromium, as a school admin: upload the Dapodik file → preview → confirm; and a bad file."""

from __future__ import annotations

import pytest
from django.utils import timezone

from schools.importing import synthetic
from schools.models import Student, StudentListUpload
from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _problems_of(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None,
    )
    return problems


def test_upload_preview_confirm_and_bad_file(browser_page, school, school_admin, tmp_path):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})  # a phone
    problems = _problems_of(page)
    rows = synthetic.students(12, today=timezone.localdate())
    rows[3]["NIK"] = "1504031713090001"  # month 13: an error, the row is not imported
    rows[5]["No KK"] = ""  # a warning, the row is imported
    good = tmp_path / "daftar_pd_sman.xlsx"
    good.write_bytes(synthetic.dapodik_xlsx(rows))

    login_in_browser(page, "sekolah-a")
    page.goto(page.live_server_url + "/daftar-siswa/unggah/")
    assert page.get_by_role("heading", name="Unggah daftar peserta didik").is_visible()
    page.get_by_label("Berkas daftar peserta didik").set_input_files(str(good))
    page.get_by_role("button", name="Unggah dan periksa").click()

    page.wait_for_url("**/daftar-siswa/unggahan/*/")
    assert page.get_by_role("heading", name="Pratinjau daftar peserta didik").is_visible()
    assert page.get_by_test_id("count-rows").inner_text() == "12"
    assert page.get_by_test_id("count-new").inner_text() == "11"
    assert page.get_by_test_id("count-not-imported").inner_text() == "1"
    assert page.get_by_test_id("count-warnings").inner_text() == "1"
    table = page.get_by_test_id("problems")
    assert "Bulan lahir di NIK" in table.inner_text()
    assert "10" in table.locator("tbody tr").first.inner_text()  # spreadsheet row 10 (data from row 7)
    assert Student.objects.count() == 0

    # The synthetic file's "Tanggal Unduh" is months old: the box under the warning comes first.
    assert page.get_by_test_id("upload-warnings").is_visible()
    page.get_by_label("Saya sudah memeriksa peringatan di atas dan berkas ini benar.").check()
    page.get_by_role("button", name="Simpan ke daftar peserta didik").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("alert").filter(has_text="Tersimpan: 11 baru").is_visible()
    assert page.get_by_test_id("committed-note").is_visible()
    assert Student.objects.filter(school=school).count() == 11
    assert StudentListUpload.objects.get().status == StudentListUpload.Status.COMMITTED

    # The same file again: nothing new, nothing changed.
    page.goto(page.live_server_url + "/daftar-siswa/unggah/")
    page.get_by_label("Berkas daftar peserta didik").set_input_files(str(good))
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.wait_for_url("**/daftar-siswa/unggahan/*/")
    assert page.get_by_test_id("count-new").inner_text() == "0"
    assert page.get_by_test_id("count-unchanged").inner_text() == "11"
    page.get_by_role("button", name="Batalkan").click()
    page.wait_for_load_state("load")
    assert "dibatalkan" in page.get_by_role("alert").first.inner_text()

    # A bad file: one clear message, nothing stored.
    bad = tmp_path / "foto_kelas.xlsx"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not a spreadsheet")
    page.goto(page.live_server_url + "/daftar-siswa/unggah/")
    page.get_by_label("Berkas daftar peserta didik").set_input_files(str(bad))
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.wait_for_load_state("load")
    failure = page.get_by_test_id("upload-failure")
    assert failure.is_visible()
    assert "Jenis berkas tidak didukung" in failure.inner_text()
    assert Student.objects.count() == 11
    assert StudentListUpload.objects.filter(status="failed").count() == 1
    assert problems == []
