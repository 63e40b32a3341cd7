"""The tap window: a tap counts only between its visit's start and finish; a late offline tap is
taken only within LATE_TAP_WINDOW_HOURS after the finish, from the user who made it; later only a
supervisor's correction changes an outcome, with its reason in the history."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import Recording, RecordingAction, Visit
from recordings.services import ActionStatus, field_sheets
from tests.factories import visit_with_students

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome
Source = RecordingAction.Source


def finished_visit(*, days_ago: float, students: int = 2):
    finished = timezone.now() - datetime.timedelta(days=days_ago)
    visit, roster = visit_with_students(
        students=students,
        status=Visit.Status.DONE,
        started_at=finished - datetime.timedelta(hours=5),
        finished_at=finished,
    )
    return visit, roster


def ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_a_late_tap_within_the_window_is_taken(operator):
    visit, (student, _other) = finished_visit(days_ago=2)
    result = services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.RECORDED,
        by=operator,
        tapped_at=visit.finished_at - datetime.timedelta(minutes=1),
        source=Source.OFFLINE,
    )
    assert result.status == ActionStatus.APPLIED


@pytest.mark.parametrize("source", [Source.OFFLINE, Source.TAP, Source.FORM, Source.FIELD_SHEET])
def test_after_the_window_nothing_changes_an_outcome_and_the_message_says_ask_a_supervisor(operator, source):
    visit, (student, _other) = finished_visit(days_ago=80)
    services.recording_correct(visit=visit, student=student, outcome=Outcome.RECORDED, reason="awal", by=operator)
    with pytest.raises(ValidationError, match="Minta supervisor") as caught:
        services.recording_apply(
            visit=visit,
            student=student,
            outcome=Outcome.REFUSED,
            by=operator,
            tapped_at=visit.finished_at - datetime.timedelta(minutes=1),
            source=source,
        )
    assert caught.value.code == "late"
    with pytest.raises(ValidationError, match="Minta supervisor"):
        services.recording_apply(
            visit=visit,
            student=student,
            outcome=None,
            by=operator,
            tapped_at=visit.finished_at - datetime.timedelta(minutes=1),
            source=source,
        )
    assert Recording.objects.get().outcome == Outcome.RECORDED


def test_the_window_is_a_setting(operator, settings):
    visit, (student, _other) = finished_visit(days_ago=2)
    settings.LATE_TAP_WINDOW_HOURS = 24
    with pytest.raises(ValidationError, match="24 jam"):
        services.recording_apply(
            visit=visit,
            student=student,
            outcome=Outcome.RECORDED,
            by=operator,
            tapped_at=visit.finished_at - datetime.timedelta(minutes=1),
            source=Source.OFFLINE,
        )


def test_a_tap_before_the_visit_started_is_refused(operator):
    visit, (student,) = visit_with_students(students=1)
    with pytest.raises(ValidationError, match="sebelum kunjungan dimulai"):
        services.recording_apply(
            visit=visit,
            student=student,
            outcome=Outcome.RECORDED,
            by=operator,
            tapped_at=visit.started_at - datetime.timedelta(hours=1),
        )
    # A few minutes early is a tap racing the start request.
    services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.RECORDED,
        by=operator,
        tapped_at=visit.started_at - datetime.timedelta(minutes=2),
    )
    assert not RecordingAction.objects.filter(applied=False).exists()


def test_a_tap_after_the_finish_is_refused_even_within_the_window(operator):
    visit, (student, _other) = finished_visit(days_ago=1)
    with pytest.raises(ValidationError, match="sudah selesai"):
        services.recording_apply(
            visit=visit,
            student=student,
            outcome=Outcome.RECORDED,
            by=operator,
            tapped_at=visit.finished_at + datetime.timedelta(minutes=1),
            source=Source.OFFLINE,
        )


@pytest.mark.parametrize("tapped_ms", [0, True, -1, 10**20, 1.5])
def test_impossible_browser_times_are_refused(tapped_ms):
    with pytest.raises(ValidationError):
        services.tap_time_from_client(tapped_ms=tapped_ms, sent_ms=None)
    with pytest.raises(ValidationError):
        services.tap_time_from_client(tapped_ms=ms(timezone.now()), sent_ms=tapped_ms)


def test_the_sync_rejects_a_rewrite_of_an_old_visit(client, operator):
    """The probe: a tap claimed a minute before the finish of a visit that finished 80 days ago."""
    visit, (student, other) = finished_visit(days_ago=80)
    services.recording_correct(visit=visit, student=student, outcome=Outcome.RECORDED, reason="awal", by=operator)
    client.force_login(operator)
    tapped = ms(visit.finished_at - datetime.timedelta(minutes=1))
    actions = [
        {
            "client_id": str(uuid.uuid4()),
            "visit": visit.pk,
            "student": s.pk,
            "outcome": outcome,
            "tapped_at": tapped,
            "queued_by": operator.pk,
        }
        for s, outcome in ((student, "refused"), (student, "undo"), (other, "recorded"))
    ]
    response = client.post(reverse("visit_sync"), json.dumps({"actions": actions}), content_type="application/json")
    results = response.json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "late")] * 3
    assert "Minta supervisor" in results[0]["message"]
    assert list(Recording.objects.values_list("student_id", "outcome")) == [(student.pk, Outcome.RECORDED)]


def test_a_late_sync_must_come_from_the_user_who_queued_it(client, operator, supervisor):
    visit, (student, other) = finished_visit(days_ago=1)
    client.force_login(supervisor)
    tapped = ms(visit.finished_at - datetime.timedelta(minutes=1))

    def action(s, **extra):
        return {"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": s.pk, "outcome": "recorded", **extra}

    actions = [action(student, tapped_at=tapped, queued_by=operator.pk), action(other, tapped_at=tapped)]
    response = client.post(reverse("visit_sync"), json.dumps({"actions": actions}), content_type="application/json")
    assert [r["code"] for r in response.json()["results"]] == ["other_user", "queued_by_missing"]
    ok = action(other, tapped_at=tapped, queued_by=supervisor.pk)
    response = client.post(reverse("visit_sync"), json.dumps({"actions": [ok]}), content_type="application/json")
    assert response.json()["results"][0]["status"] == "applied"


def test_the_outcome_form_shows_the_rejection(client, operator):
    visit, (student, _other) = finished_visit(days_ago=80)
    client.force_login(operator)
    response = client.post(
        reverse("visit_outcome", args=[visit.pk]),
        {"student": student.pk, "outcome": "refused", "tapped_at": ms(visit.finished_at) - 60_000},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert "Minta supervisor" in response.content.decode()
    assert not Recording.objects.exists()


def test_a_field_sheet_after_the_window_is_refused(operator):
    visit, _students = finished_visit(days_ago=80)
    with pytest.raises(ValidationError, match="Minta supervisor"):
        field_sheets._check_field_sheet_visit(visit)


def test_a_supervisor_corrects_with_a_reason_kept_in_history(supervisor):
    visit, (student, _other) = finished_visit(days_ago=80)
    with pytest.raises(ValidationError, match="alasan koreksi"):
        services.recording_correct(visit=visit, student=student, outcome=Outcome.RECORDED, reason="  ", by=supervisor)
    result = services.recording_correct(
        visit=visit, student=student, outcome=Outcome.REFUSED, reason="Salah tekan oleh petugas", by=supervisor
    )
    assert result.status == ActionStatus.APPLIED
    assert result.recording.outcome == Outcome.REFUSED and result.recording.reason == ""
    action = RecordingAction.objects.get()
    assert (action.reason, action.by, action.source) == ("Salah tekan oleh petugas", supervisor, Source.CORRECTION)
    services.recording_correct(visit=visit, student=student, outcome=None, reason="Siswa tidak hadir", by=supervisor)
    assert not Recording.objects.exists()
    assert RecordingAction.objects.count() == 2


def test_the_history_page_offers_supervisors_the_correction(client, supervisor, operator):
    visit, (student, _other) = finished_visit(days_ago=80)
    history = reverse("visit_history", args=[visit.pk]) + f"?siswa={student.pk}"
    client.force_login(operator)
    assert "Simpan koreksi" not in client.get(history).content.decode()
    response = client.post(
        reverse("visit_outcome_correct", args=[visit.pk]),
        {"student": student.pk, "outcome": "recorded", "reason": "Operator lupa"},
    )
    assert response.status_code == 403
    client.force_login(supervisor)
    page = client.get(history).content.decode()
    assert "Simpan koreksi" in page
    response = client.post(
        reverse("visit_outcome_correct", args=[visit.pk]), {"student": student.pk, "outcome": "recorded", "reason": ""}
    )
    assert response.status_code == 302 and not Recording.objects.exists()
    response = client.post(
        reverse("visit_outcome_correct", args=[visit.pk]),
        {"student": student.pk, "outcome": "recorded", "reason": "Terekam, lupa ditandai"},
        follow=True,
    )
    page = response.content.decode()
    assert "Koreksi tersimpan" in page and "Terekam, lupa ditandai" in page
    assert "Koreksi supervisor" in page  # the history names the action a correction
    assert Recording.objects.get().outcome == Outcome.RECORDED
