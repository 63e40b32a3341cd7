"""Visit pages and outcome endpoints: roles and scope, HTMX updates, offline sync, query counts."""

import datetime
import json
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording, RecordingAction, Visit
from tests.factories import (
    DriveFactory,
    OperatorFactory,
    RecordingFactory,
    SchoolAdminUserFactory,
    StudentFactory,
    VisitFactory,
    visit_with_students,
)

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome
HTMX = {"HTTP_HX_REQUEST": "true"}
TALLIES_OOB = re.compile(r'<section id="visit-tallies"[^>]*hx-swap-oob="true"')


def post_outcome(client, visit, student, outcome, **extra):
    data = {"student": student.pk, "outcome": outcome, **extra}
    return client.post(reverse("visit_outcome", args=[visit.pk]), data, **HTMX)


def sync(client, actions):
    return client.post(reverse("visit_sync"), json.dumps({"actions": actions}), content_type="application/json")


def offline_item(visit, student, outcome, **extra):
    return {"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": student.pk, "outcome": outcome, **extra}


# --- Scope and roles -------------------------------------------------------------------------


def visit_urls(visit):
    return {
        "detail": reverse("visit_detail", args=[visit.pk]),
        "history": reverse("visit_history", args=[visit.pk]),
        "attendance": reverse("visit_attendance", args=[visit.pk]),
        "sheet": reverse("field_sheet_download", args=[visit.pk]),
        "upload": reverse("field_sheet_upload", args=[visit.pk]),
        "reschedule": reverse("visit_reschedule", args=[visit.pk]),
        "postpone": reverse("visit_postpone", args=[visit.pk]),
    }


def test_anonymous_is_sent_to_login(client):
    visit, (student,) = visit_with_students(students=1)
    for url in [*visit_urls(visit).values(), reverse("visit_list"), reverse("drive_list")]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    # A script's request gets 401, so the page keeps the tap in its queue.
    assert post_outcome(client, visit, student, Outcome.RECORDED).status_code == 401
    assert sync(client, []).status_code == 401
    assert not Recording.objects.exists()


def test_school_admin_of_another_school_gets_404_everywhere(client, other_school_admin):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(other_school_admin)
    for name, url in visit_urls(visit).items():
        assert client.get(url).status_code == 404, name
    for name in ("visit_start", "visit_finish", "visit_cancel", "visit_outcome"):
        assert client.post(reverse(name, args=[visit.pk]), {"student": student.pk}).status_code == 404, name
    result = sync(
        client, [{"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": student.pk, "outcome": "recorded"}]
    )
    assert result.json()["results"][0]["status"] == "rejected"
    assert not Recording.objects.exists()


def test_school_admin_sees_own_visit_read_only_and_cannot_record(client, school, school_admin):
    visit, (student,) = visit_with_students(students=1, school=school)
    client.force_login(school_admin)
    page = client.get(reverse("visit_detail", args=[visit.pk]))
    assert page.status_code == 200
    assert student.name in page.content.decode()
    assert b"outcome-form" not in page.content
    assert "Fotokopi Kartu Keluarga (KK)" in page.content.decode()
    assert client.get(reverse("visit_attendance", args=[visit.pk])).status_code == 200
    assert post_outcome(client, visit, student, Outcome.RECORDED).status_code == 403
    assert client.post(reverse("visit_start", args=[visit.pk])).status_code == 403
    for name in ("visit_history", "field_sheet_download", "field_sheet_upload", "visit_postpone"):
        assert client.get(reverse(name, args=[visit.pk])).status_code == 403, name
    result = sync(
        client, [{"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": student.pk, "outcome": "recorded"}]
    )
    assert result.json()["results"][0]["status"] == "rejected"
    assert not Recording.objects.exists()
    assert client.get(reverse("drive_list")).status_code == 403
    assert client.get(reverse("drive_detail", args=[visit.drive_id])).status_code == 403


def test_school_admin_list_shows_upcoming_visits_and_what_to_bring(client, school, school_admin, other_school):
    drive = DriveFactory(schools=[school, other_school])
    mine = VisitFactory(
        drive=drive, school=school, status=Visit.Status.PLANNED, date=timezone.localdate() + datetime.timedelta(days=3)
    )
    VisitFactory(drive=drive, school=other_school, status=Visit.Status.PLANNED, notes="RAHASIA-LAIN")
    client.force_login(school_admin)
    page = client.get(reverse("visit_list")).content.decode()
    assert reverse("visit_detail", args=[mine.pk]) in page
    assert "Fotokopi Kartu Keluarga (KK)" in page
    assert "RAHASIA-LAIN" not in page and other_school.name not in page


def test_operator_cannot_plan_or_edit_drives(client, operator):
    visit, _ = visit_with_students(students=1, status=Visit.Status.PLANNED)
    client.force_login(operator)
    assert client.get(reverse("drive_create")).status_code == 403
    assert client.get(reverse("drive_edit", args=[visit.drive_id])).status_code == 403
    assert client.get(reverse("visit_plan", args=[visit.drive_id])).status_code == 403
    assert client.get(reverse("visit_reschedule", args=[visit.pk])).status_code == 403
    assert client.post(reverse("visit_postpone", args=[visit.pk]), {"reason": "road"}).status_code == 403
    assert client.post(reverse("visit_cancel", args=[visit.pk])).status_code == 403
    visit.refresh_from_db()
    assert visit.status == Visit.Status.PLANNED
    # ...but may look at the planning list and the visits.
    assert client.get(reverse("drive_detail", args=[visit.drive_id])).status_code == 200
    assert client.get(reverse("visit_list")).status_code == 200


def test_operator_records_only_in_an_active_drive(client, operator):
    long_ago = timezone.localdate() - datetime.timedelta(days=200)
    drive = DriveFactory(start_date=long_ago, end_date=long_ago + datetime.timedelta(days=30))
    visit, (student,) = visit_with_students(students=1, drive=drive, date=long_ago + datetime.timedelta(days=3))
    client.force_login(operator)
    assert post_outcome(client, visit, student, Outcome.RECORDED).status_code == 403
    supervisor_client = client.__class__()
    from tests.factories import SupervisorFactory

    supervisor_client.force_login(SupervisorFactory())
    assert post_outcome(supervisor_client, visit, student, Outcome.RECORDED).status_code == 200


# --- Start, finish, record ----------------------------------------------------------------------


def test_operator_starts_records_and_finishes_a_visit(client, operator):
    visit, (a, b, c) = visit_with_students(status=Visit.Status.PLANNED, started_at=None)
    client.force_login(operator)
    page = client.get(reverse("visit_detail", args=[visit.pk]))
    assert b"Mulai kunjungan" in page.content and b"outcome-form" not in page.content
    assert post_outcome(client, visit, a, Outcome.RECORDED).status_code == 409  # not started yet
    client.post(reverse("visit_start", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.status == Visit.Status.IN_PROGRESS

    response = post_outcome(client, visit, a, Outcome.RECORDED, client_id=str(uuid.uuid4()))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="student-{a.pk}"' in html and 'data-outcome="recorded"' in html
    assert TALLIES_OOB.search(html)
    assert 'data-tally="recorded">1<' in html
    post_outcome(client, visit, b, Outcome.ABSENT)
    response = post_outcome(client, visit, c, Outcome.NOT_ELIGIBLE)
    assert response.status_code == 409 and "alasan" in response.content.decode()
    post_outcome(client, visit, c, Outcome.NOT_ELIGIBLE, reason="Bukan penduduk Batanghari")
    # Change and undo.
    post_outcome(client, visit, b, Outcome.RECORDED)
    post_outcome(client, visit, a, "undo")
    assert dict(Recording.objects.filter(visit=visit).values_list("student_id", "outcome")) == {
        b.pk: "recorded",
        c.pk: "not_eligible",
    }
    assert RecordingAction.objects.filter(visit=visit).count() == 5
    history = client.get(reverse("visit_history", args=[visit.pk])).content.decode()
    assert "Batalkan" in history and operator.first_name in history

    response = client.post(reverse("visit_finish", args=[visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE
    assert post_outcome(client, visit, a, Outcome.RECORDED).status_code == 409


def test_outcome_without_htmx_redirects_back_to_the_student(client, operator):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(operator)
    response = client.post(reverse("visit_outcome", args=[visit.pk]), {"student": student.pk, "outcome": "absent"})
    assert response.status_code == 302 and response.url.endswith(f"#student-{student.pk}")
    action = RecordingAction.objects.get()
    assert action.source == RecordingAction.Source.FORM and action.by == operator


def test_outcome_for_a_student_of_another_school_is_404(client, operator):
    visit, _ = visit_with_students(students=1)
    stranger = StudentFactory()
    client.force_login(operator)
    assert post_outcome(client, visit, stranger, Outcome.RECORDED).status_code == 404


def test_resent_tap_with_same_client_id_changes_nothing(client, operator):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(operator)
    client_id = str(uuid.uuid4())
    now_ms = int(timezone.now().timestamp() * 1000)
    for _ in range(3):
        response = post_outcome(
            client, visit, student, Outcome.RECORDED, client_id=client_id, tapped_at=now_ms - 5000, sent_at=now_ms
        )
        assert response.status_code == 200
    assert RecordingAction.objects.count() == 1 and Recording.objects.count() == 1


# --- Offline sync -------------------------------------------------------------------------------


def test_sync_applies_each_action_once_and_keeps_tap_times(client, operator):
    visit, (a, b, c) = visit_with_students()
    client.force_login(operator)
    phone_now = 1_700_000_000_000  # the phone's clock is wrong; only the differences count
    actions = [
        offline_item(visit, a, "recorded", tapped_at=phone_now - 600_000, sent_at=phone_now),
        offline_item(visit, b, "absent", tapped_at=phone_now - 300_000, sent_at=phone_now),
        offline_item(visit, c, "not_eligible", reason="Sudah pindah", tapped_at=phone_now - 1000, sent_at=phone_now),
    ]
    before = timezone.now()
    body = sync(client, actions).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "applied"]
    rec_a = Recording.objects.get(student=a)
    assert (
        before - datetime.timedelta(minutes=10, seconds=5)
        <= rec_a.recorded_at
        <= timezone.now() - datetime.timedelta(minutes=10)
    )
    assert RecordingAction.objects.get(student=a).source == RecordingAction.Source.OFFLINE
    again = sync(client, actions).json()  # the connection dropped before the answer came back
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert RecordingAction.objects.count() == 3 and Recording.objects.count() == 3


def test_sync_older_offline_change_loses_to_later_online_change(client, operator):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(operator)
    post_outcome(client, visit, student, Outcome.BIOMETRIC_FAILURE)  # online, now
    phone_clock = 1_600_000_000_000  # a phone whose clock is years behind
    offline = offline_item(visit, student, "recorded", tapped_at=phone_clock, sent_at=phone_clock + 20 * 60_000)
    result = sync(client, [offline]).json()["results"][0]
    assert result == {"client_id": offline["client_id"], "status": "superseded", "current": "biometric_failure"}
    assert Recording.objects.get().outcome == Outcome.BIOMETRIC_FAILURE
    assert RecordingAction.objects.count() == 2


def test_sync_rejects_bad_items_one_by_one(client, operator):
    visit, (student,) = visit_with_students(students=1)
    planned, (other,) = visit_with_students(students=1, status=Visit.Status.PLANNED)
    client.force_login(operator)
    body = sync(
        client,
        [
            {"client_id": "not-a-uuid", "visit": visit.pk, "student": student.pk, "outcome": "recorded"},
            {"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": student.pk, "outcome": "bogus"},
            {"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": other.pk, "outcome": "recorded"},
            {"client_id": str(uuid.uuid4()), "visit": planned.pk, "student": other.pk, "outcome": "recorded"},
            {"client_id": str(uuid.uuid4()), "visit": visit.pk, "student": student.pk, "outcome": "absent"},
        ],
    ).json()
    assert [r["status"] for r in body["results"]] == ["rejected"] * 4 + ["applied"]
    assert "sedang berlangsung" in body["results"][3]["message"]
    assert client.post(reverse("visit_sync"), "{", content_type="application/json").status_code == 400


# --- Search, privacy, queries ---------------------------------------------------------------------


def test_search_by_name_nisn_nik_digits_and_filters(client, operator):
    visit, (a, b, c) = visit_with_students()
    client.force_login(operator)
    url = reverse("visit_detail", args=[visit.pk])

    def names(**params):
        html = client.get(url, params).content.decode()
        return {s.name for s in (a, b, c) if f'id="student-{s.pk}"' in html}

    assert names(q=a.name.split()[-1]) == {a.name}
    assert names(q=b.nisn[-6:]) == {b.name}
    assert names(q=c.nik[-4:]) >= {c.name}
    assert names(q=c.nik) == set()  # only the digits shown are searched; a whole NIK stays out of URLs
    RecordingFactory(visit=visit, student=a, outcome=Outcome.ABSENT)
    assert names(hasil="absent") == {a.name}
    assert names(hasil="none") == {b.name, c.name}
    assert names(hasil="remaining") == {a.name, b.name, c.name}
    assert names(kelas="XII IPA 2") == {b.name}


def test_visit_page_masks_nik(client, operator):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(operator)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert student.nik[-4:] in html and student.nik not in html and student.kk not in html
    printable = client.get(reverse("visit_attendance", args=[visit.pk])).content.decode()
    assert student.name in printable and student.nik not in printable


def test_htmx_roster_fragment(client, operator):
    visit, (student,) = visit_with_students(students=1)
    client.force_login(operator)
    response = client.get(reverse("visit_detail", args=[visit.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roster")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="roster"') and "<html" not in html
    assert TALLIES_OOB.search(html)


@pytest.mark.parametrize("count", [5, 40])
def test_marking_an_outcome_costs_a_bounded_number_of_queries(client, operator, django_assert_max_num_queries, count):
    visit, students = visit_with_students(students=count)
    for student in students[1:]:
        RecordingFactory(visit=visit, student=student, outcome=Outcome.RECORDED)
    client.force_login(operator)
    with django_assert_max_num_queries(22):
        response = post_outcome(client, visit, students[0], Outcome.RECORDED, client_id=str(uuid.uuid4()))
    assert response.status_code == 200


def test_visit_page_query_count_does_not_grow_with_students(client, operator, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 30):
        visit, students = visit_with_students(students=size)
        for student in students[: size // 2]:
            RecordingFactory(visit=visit, student=student, outcome=Outcome.ABSENT, recorded_by=OperatorFactory())
        client.force_login(operator)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("visit_detail", args=[visit.pk]))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 17  # the notice section takes two (its log, the e-mail addresses), the kits one


def test_school_admin_sees_only_own_school_in_visit_list(client):
    visit, _ = visit_with_students(students=1)
    other, _ = visit_with_students(students=1, drive=visit.drive)
    admin = SchoolAdminUserFactory(school=visit.school)
    client.force_login(admin)
    html = client.get(reverse("visit_list")).content.decode()
    assert visit.school.name in html and other.school.name not in html


def test_ids_are_never_written_with_thousand_separators(client, operator):
    """Indonesian number format writes 12345 as 12.345; ids in attributes and forms must stay plain."""
    visit, _ = visit_with_students(students=0)
    student = StudentFactory(pk=123456, school=visit.school)
    client.force_login(operator)
    html = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert 'id="student-123456"' in html and 'name="student" value="123456"' in html
    assert "123.456" not in html
    assert post_outcome(client, visit, student, Outcome.RECORDED).status_code == 200
