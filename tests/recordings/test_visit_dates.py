"""Dates and the visit life cycle: no visit before today, a postponement's new date after today,
"Jadwalkan ulang" for a postponed visit, the finish question names the unmarked students, and
the field-sheet preview counts rows with a Hasil and expires after a day."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import FieldSheetUpload, Recording, Visit
from tests.factories import (
    DriveFactory,
    KitFactory,
    OperatorFactory,
    RecordingFactory,
    SchoolFactory,
    visit_with_students,
)
from tests.recordings.test_field_sheet import fill

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


@pytest.fixture
def planned(supervisor, operator):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    visit = services.visit_schedule(
        drive=drive,
        school=school,
        date=TODAY() + 2 * DAY,
        kits=KitFactory.create_batch(3),
        team=[operator],
        notes="Aula",
        by=supervisor,
    )
    return visit


def test_a_visit_cannot_be_planned_before_today(supervisor):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    with pytest.raises(ValidationError, match="sudah lewat") as exc:
        services.visit_schedule(drive=drive, school=school, date=TODAY() - DAY, kits=[KitFactory()], by=supervisor)
    assert exc.value.code == "past"
    assert (
        services.visit_schedule(drive=drive, school=school, date=TODAY(), kits=[KitFactory()], by=supervisor).date
        == TODAY()
    )
    assert not Visit.objects.filter(date__lt=TODAY()).exists()


def test_a_visit_cannot_be_rescheduled_before_today(planned, supervisor):
    with pytest.raises(ValidationError, match="sudah lewat"):
        services.visit_reschedule(visit=planned, date=TODAY() - DAY, kits=[KitFactory()], by=supervisor)
    planned.refresh_from_db()
    assert planned.date == TODAY() + 2 * DAY


def test_plan_form_shows_the_past_date_message(client, supervisor, planned):
    client.force_login(supervisor)
    form = client.get(reverse("visit_plan", args=[planned.drive_id])).content.decode()
    assert f'min="{TODAY().isoformat()}"' in form
    postpone = client.get(reverse("visit_postpone", args=[planned.pk])).content.decode()
    assert f'min="{(TODAY() + DAY).isoformat()}"' in postpone
    response = client.post(
        reverse("visit_plan", args=[planned.drive_id]),
        {"school": planned.school_id, "date": (TODAY() - DAY).isoformat(), "kits": [KitFactory().pk]},
    )
    assert "sudah lewat; pilih hari ini" in response.content.decode()
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("offset", [0, -1])
def test_postponement_new_date_must_be_after_today(planned, supervisor, offset):
    with pytest.raises(ValidationError, match="setelah hari ini") as exc:
        services.visit_postpone(visit=planned, reason="power_cut", new_date=TODAY() + offset * DAY, by=supervisor)
    assert exc.value.code == "new_date"
    planned.refresh_from_db()
    assert planned.status == Visit.Status.PLANNED  # nothing half-saved
    assert Visit.objects.count() == 1


def test_postpone_view_says_why_the_new_date_is_refused(client, supervisor, planned):
    client.force_login(supervisor)
    response = client.post(
        reverse("visit_postpone", args=[planned.pk]), {"reason": "power_cut", "new_date": TODAY().isoformat()}
    )
    assert response.status_code == 200
    assert "Tanggal baru harus setelah hari ini" in response.content.decode()


def test_postponed_visit_offers_jadwalkan_ulang_with_same_team_and_kits(client, supervisor, operator, planned):
    services.visit_postpone(visit=planned, reason="power_cut", by=supervisor)
    client.force_login(supervisor)
    page = client.get(reverse("visit_detail", args=[planned.pk])).content.decode()
    assert 'data-testid="replan"' in page and "Jadwalkan ulang" in page
    form = client.get(reverse("visit_reschedule", args=[planned.pk]))
    assert form.status_code == 200 and 'data-testid="replan-note"' in form.content.decode()
    kit_ids = form.context["form"].initial["kits"]
    assert len(kit_ids) == 3 and set(kit_ids) == {kit.pk for kit in planned.kits.all()}
    new_day = TODAY() + 5 * DAY
    response = client.post(
        reverse("visit_reschedule", args=[planned.pk]),
        {"date": new_day.isoformat(), "kits": kit_ids, "team": [operator.pk], "notes": "Aula"},
    )
    replacement = Visit.objects.get(replaces=planned)
    assert response.status_code == 302 and response.url == reverse("visit_detail", args=[replacement.pk])
    assert (replacement.date, replacement.kit_count, replacement.status) == (new_day, 3, Visit.Status.PLANNED)
    assert list(replacement.team.all()) == [operator]
    planned.refresh_from_db()
    assert planned.status == Visit.Status.POSTPONED  # stays in history
    page = client.get(reverse("visit_detail", args=[planned.pk])).content.decode()
    assert 'data-testid="replacement-link"' in page and 'data-testid="replan"' not in page
    # Once is enough: a second plan is refused and the form sends the user to the replacement.
    again = client.get(reverse("visit_reschedule", args=[planned.pk]))
    assert again.status_code == 302 and again.url == reverse("visit_detail", args=[replacement.pk])
    with pytest.raises(ValidationError, match="sudah punya kunjungan pengganti"):
        services.visit_replan(visit=planned, date=new_day + DAY, kits=[KitFactory()], by=supervisor)


def test_replan_refuses_a_past_date_and_a_visit_that_is_not_postponed(supervisor, planned):
    with pytest.raises(ValidationError, match="Hanya kunjungan yang ditunda"):
        services.visit_replan(visit=planned, date=TODAY() + 3 * DAY, kits=[KitFactory()], by=supervisor)
    services.visit_postpone(visit=planned, reason="road", by=supervisor)
    with pytest.raises(ValidationError, match="sudah lewat"):
        services.visit_replan(visit=planned, date=TODAY() - DAY, kits=[KitFactory()], by=supervisor)
    assert not Visit.objects.filter(replaces=planned).exists()


def test_operator_cannot_replan(client, supervisor, planned):
    services.visit_postpone(visit=planned, reason="road", by=supervisor)
    client.force_login(OperatorFactory())
    page = client.get(reverse("visit_detail", args=[planned.pk])).content.decode()
    assert 'data-testid="replan"' not in page
    assert client.get(reverse("visit_reschedule", args=[planned.pk])).status_code == 403


def test_finish_question_names_the_unmarked_students(client, operator):
    visit, students = visit_with_students(students=3)
    RecordingFactory(visit=visit, student=students[0], outcome=Recording.Outcome.RECORDED)
    client.force_login(operator)
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert "Selesaikan kunjungan ini? 2 peserta didik belum ditandai." in page
    assert 'data-confirm-some="Selesaikan kunjungan ini? {n} peserta didik belum ditandai.' in page
    for student in students[1:]:
        RecordingFactory(visit=visit, student=student, outcome=Recording.Outcome.ABSENT)
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert 'data-confirm="Selesaikan kunjungan ini? Semua peserta didik sudah ditandai.' in page


# --- field-sheet preview -------------------------------------------------------------------


@pytest.fixture
def sheet_upload(settings, tmp_path, operator):
    settings.MEDIA_ROOT = tmp_path / "media"
    visit, students = visit_with_students(students=3)
    return visit, students


def _upload(client, visit, data):
    client.post(reverse("field_sheet_upload", args=[visit.pk]), {"file": SimpleUploadedFile("lembar.xlsx", data)})
    return FieldSheetUpload.objects.latest("pk")


def test_preview_of_an_unfilled_sheet_offers_no_save(client, operator, sheet_upload):
    visit, _students = sheet_upload
    client.force_login(operator)
    data = client.get(reverse("field_sheet_download", args=[visit.pk])).content
    up = _upload(client, visit, data)
    assert (up.rows_total, up.rows_changed) == (0, 0)
    page = client.get(reverse("field_sheet_preview", args=[visit.pk, up.pk])).content.decode()
    assert "Simpan 0 perubahan" not in page and "Simpan" not in page.split('data-testid="no-changes"', 1)[1]
    assert "Tutup unggahan" in page


def test_preview_expires_after_a_day(client, operator, sheet_upload):
    visit, students = sheet_upload
    client.force_login(operator)
    data = fill(
        client.get(reverse("field_sheet_download", args=[visit.pk])).content, {f"PD-{students[0].pk}": ("Terekam", "")}
    )
    up = _upload(client, visit, data)
    assert (up.rows_total, up.rows_changed) == (1, 1)
    assert not services.field_sheet_expired(up)
    FieldSheetUpload.objects.filter(pk=up.pk).update(uploaded_at=timezone.now() - datetime.timedelta(hours=25))
    up.refresh_from_db()
    assert services.field_sheet_expired(up)
    page = client.get(reverse("field_sheet_preview", args=[visit.pk, up.pk])).content.decode()
    assert 'data-testid="preview-expired"' in page and "Simpan 1 perubahan" not in page
    listing = client.get(reverse("field_sheet_upload", args=[visit.pk])).content.decode()
    assert "<td>Kedaluwarsa</td>" in listing
    response = client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]), follow=True)
    assert "sudah kedaluwarsa" in response.content.decode()
    assert not Recording.objects.exists()
    up.refresh_from_db()
    assert up.status == FieldSheetUpload.Status.PREVIEWED
