"""Hostile batches for the offline sync and hostile posts to the outcome form.

Every batch gets JSON back (a 400 / 413 for a body that cannot be read, else one result per item,
in order), and only the valid items are written. Part of the hostile corpus (tests/test_hostile_inputs.py).
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording, RecordingAction
from tests.factories import visit_with_students

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome


def now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def item(visit, student, outcome="recorded", **extra) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "visit": visit.pk,
        "student": student.pk,
        "outcome": outcome,
        "tapped_at": now_ms() - 1000,
        "sent_at": now_ms(),
        **extra,
    }


def post_raw(client, body: bytes | str):
    return client.post(reverse("visit_sync"), body, content_type="application/json")


def written() -> list:
    return sorted(RecordingAction.objects.values_list("client_id", flat=True))


@pytest.fixture
def recording(client, operator):
    client.force_login(operator)
    visit, students = visit_with_students(students=3)
    return visit, students


HOSTILE_FIELDS = [
    pytest.param({"tapped_at": 1e20}, id="tapped_at-1e20"),
    pytest.param({"tapped_at": 10**400}, id="tapped_at-10e400"),
    pytest.param({"sent_at": 10**30}, id="huge-sent_at"),
    pytest.param({"tapped_at": 0, "sent_at": 0}, id="tapped_at-1970"),
    pytest.param({"tapped_at": True}, id="tapped_at-true"),
    pytest.param({"tapped_at": "1700000000000"}, id="tapped_at-string"),
    pytest.param({"tapped_at": -5}, id="tapped_at-negative"),
    pytest.param({"visit": [1]}, id="visit-list"),
    pytest.param({"visit": {"pk": 1}}, id="visit-object"),
    pytest.param({"student": [1, 2]}, id="student-list"),
    pytest.param({"student": {"id": 1}}, id="student-object"),
    pytest.param({"student": True}, id="student-true"),
    pytest.param({"visit": True}, id="visit-true"),
    pytest.param({"visit": 2**70}, id="visit-beyond-bigint"),
    pytest.param({"student": 1.5}, id="student-float"),
    pytest.param({"client_id": "not-a-uuid"}, id="client_id-not-uuid"),
    pytest.param({"client_id": ["x"]}, id="client_id-list"),
    pytest.param({"client_id": "a" * 10_000}, id="client_id-long"),
    pytest.param({"outcome": "hacked"}, id="unknown-outcome"),
    pytest.param({"outcome": ["recorded"]}, id="outcome-list"),
    pytest.param({"outcome": "not_eligible", "reason": "x" * 301}, id="reason-too-long"),
    pytest.param({"outcome": "not_eligible", "reason": {"a": 1}}, id="reason-object"),
    pytest.param({"queued_by": "1"}, id="queued_by-string"),
]


@pytest.mark.parametrize("bad", HOSTILE_FIELDS)
def test_a_bad_item_is_rejected_and_the_valid_ones_are_written(client, recording, bad):
    visit, (a, b, c) = recording
    good_before, good_after = item(visit, a), item(visit, c)
    hostile = {**item(visit, b), **bad}
    response = post_raw(client, json.dumps([good_before, hostile, good_after]).join(['{"actions": ', "}"]))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["message"]
    assert written() == sorted([uuid.UUID(good_before["client_id"]), uuid.UUID(good_after["client_id"])])
    assert set(Recording.objects.values_list("student_id", flat=True)) == {a.pk, c.pk}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"actions": [{"tapped_at": Infinity}]}', id="Infinity"),
        pytest.param('{"actions": [{"tapped_at": -Infinity}]}', id="-Infinity"),
        pytest.param('{"actions": [{"tapped_at": NaN}]}', id="NaN"),
        pytest.param('{"actions": [{"tapped_at": 1e400}]}', id="1e400"),
        pytest.param('{"actions": ' + "[" * 50_000 + "]" * 50_000 + "}", id="50000-nested-brackets"),
        pytest.param('{"actions": [' + "{" * 50_000, id="50000-open-objects"),
        pytest.param("[" * 50_000, id="bare-brackets"),
        pytest.param('{"actions": {"0": {}}}', id="actions-object"),
        pytest.param('"actions"', id="string"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param('{"actions": [1' + "0" * 5000 + "]}", id="5000-digit-number"),
    ],
)
def test_unreadable_batches_answer_400_in_json_and_write_nothing(client, recording, body):
    visit, (a, *_rest) = recording
    response = post_raw(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "Data tidak terbaca."
    assert written() == []


def test_a_valid_item_before_a_non_finite_number_is_not_written(client, recording):
    """The whole body is refused before any write, so an earlier valid item is not half-applied."""
    visit, (a, b, _c) = recording
    body = json.dumps({"actions": [item(visit, a)]})[:-2] + ', {"visit": 1, "tapped_at": Infinity}]}'
    assert post_raw(client, body).status_code == 400
    assert written() == []


def test_an_oversized_body_answers_413_in_json(client, recording, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    visit, (a, *_rest) = recording
    body = json.dumps({"actions": [item(visit, a, outcome="not_eligible", reason="x" * 20_000)]})
    response = post_raw(client, body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "terlalu besar" in response.json()["error"]
    assert written() == []


def test_non_dict_items_get_their_own_result(client, recording):
    visit, (a, *_rest) = recording
    good = item(visit, a)
    response = post_raw(client, json.dumps({"actions": [None, 5, "x", [], good]}))
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4 + ["applied"]
    assert written() == [uuid.UUID(good["client_id"])]


def test_an_item_queued_by_another_user_is_rejected(client, recording, operator, supervisor):
    visit, (a, b, _c) = recording
    mine, theirs = item(visit, a, queued_by=operator.pk), item(visit, b, queued_by=supervisor.pk)
    results = post_raw(client, json.dumps({"actions": [mine, theirs]})).json()["results"]
    assert results[0]["status"] == "applied"
    assert results[1]["status"] == "rejected" and results[1]["code"] == "other_user"
    assert written() == [uuid.UUID(mine["client_id"])]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"tapped_at": "100000000000000000000"}, id="tapped_at-1e20"),
        pytest.param({"tapped_at": "1e20"}, id="tapped_at-exponent"),
        pytest.param({"tapped_at": "Infinity"}, id="tapped_at-Infinity"),
        pytest.param({"tapped_at": "1" + "0" * 400}, id="tapped_at-10e400"),
        pytest.param({"sent_at": "9" * 40}, id="huge-sent_at"),
        pytest.param({"tapped_at": "0"}, id="tapped_at-1970"),
        pytest.param({"student": "9" * 30}, id="student-beyond-bigint"),
        pytest.param({"client_id": "true"}, id="client_id-true"),
    ],
)
def test_outcome_form_refuses_hostile_values_with_400(client, recording, fields):
    visit, (a, *_rest) = recording
    data = {"student": a.pk, "outcome": Outcome.RECORDED, "tapped_at": now_ms(), "sent_at": now_ms(), **fields}
    response = client.post(reverse("visit_outcome", args=[visit.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert written() == []


def test_a_database_error_on_one_item_keeps_the_others_and_asks_for_a_resend(client, recording, monkeypatch):
    from django.db import OperationalError

    from recordings import services
    from tests.faults import Fault

    visit, (a, b, c) = recording
    batch = [item(visit, a), item(visit, b), item(visit, c)]
    Fault(monkeypatch, services, "recording_apply", n=2, error=OperationalError("server closed the connection"))
    response = post_raw(client, json.dumps({"actions": batch}))
    assert response.status_code == 503
    assert [r["status"] for r in response.json()["results"]] == ["applied", "error", "applied"]
    assert written() == sorted(uuid.UUID(batch[i]["client_id"]) for i in (0, 2))
    monkeypatch.undo()
    again = post_raw(client, json.dumps({"actions": batch}))
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "applied", "duplicate"]


def test_an_oversized_body_answers_json_through_the_csrf_check(recording, operator, settings):
    """With CSRF enforced (as in a browser) the JSON body is still read only by the view."""
    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    visit, (a, *_rest) = recording
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get(reverse("visit_detail", args=[visit.pk]))
    token = browser.cookies["csrftoken"].value
    body = json.dumps({"actions": [item(visit, a, outcome="not_eligible", reason="x" * 20_000)]})
    response = browser.post(reverse("visit_sync"), body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 413
    assert response.json()["error"]


def test_an_oversized_form_body_to_the_sync_url_answers_json_too(recording, operator, settings):
    """A form-encoded body is read by the CSRF check before the view: Django's 400 handler answers,
    and for the sync URL it answers in JSON like the view."""
    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    browser.get(reverse("home"))  # the CSRF cookie, so the check goes on to read the body
    response = browser.post(reverse("visit_sync"), {"actions": "x" * 20_000})
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "terlalu besar" in response.json()["error"]
    assert written() == []
