"""``import_students`` and ``purge_uploads`` on the command line."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from schools import services
from schools.importing import synthetic
from schools.models import Student, StudentListUpload

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "dapodik_daftar_pd_contoh.xlsx"
KEYS = ["rows", "new", "updated", "unchanged", "not_imported", "conflicts", "warnings", "not_yet_eligible", "problems"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_students", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_preview_of_the_sample_then_commit_then_rerun(school):
    out, _err = run("--school", school.npsn, str(SAMPLE), "--json")
    result = json.loads(out)
    assert list(result) == KEYS
    assert result["rows"] == 150 and result["new"] == 150
    assert Student.objects.count() == 0  # preview only
    result = json.loads(run("--school", school.npsn, str(SAMPLE), "--json", "--commit")[0])
    assert result["new"] == 150
    assert Student.objects.filter(school=school).count() == 150
    again = json.loads(run("--school", school.npsn, str(SAMPLE), "--json")[0])
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 150)
    assert StudentListUpload.objects.filter(source="cli").count() == 3


def test_json_problems_match_the_web_preview(school, tmp_path):
    rows = synthetic.students(6, today=timezone.localdate())
    rows[0]["NIK"] = "1,50403E+15"
    rows[1]["NIK"] = rows[2]["NIK"]
    rows[3]["No KK"] = ""
    rows[4]["JK"] = "Z"
    path = tmp_path / "daftar.csv"
    path.write_bytes(synthetic.to_csv(rows, delimiter=";"))
    result = json.loads(run("--school", school.npsn, str(path), "--json")[0])
    assert (result["rows"], result["new"], result["not_imported"], result["warnings"]) == (6, 2, 4, 2)
    problem = result["problems"][0]
    assert problem == {
        "row": 2,
        "column": "NIK",
        "severity": "error",
        "code": "nik_scientific",
        "message": problem["message"],
    }
    assert problem["message"].startswith("Baris 2, kolom NIK: ")
    web, _preview = services.student_list_upload(school=school, data=path.read_bytes(), name="daftar.csv", by=None)
    assert [list(p.values()) for p in result["problems"]] == web.problems
    assert web.new_count == result["new"] and web.warning_count == result["warnings"]


def test_unreadable_file_exits_2(school, tmp_path):
    path = tmp_path / "foto.pdf"
    path.write_bytes(b"%PDF-1.4 not a list")
    with pytest.raises(SystemExit) as exit_info:
        run("--school", school.npsn, str(path), "--json")
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        run("--school", school.npsn, str(tmp_path / "missing.csv"))
    assert exit_info.value.code == 2


def test_command_line_takes_more_than_the_web_limit(school, tmp_path):
    data = synthetic.to_csv(synthetic.students(20_001, today=timezone.localdate()))
    web, _preview = services.student_list_upload(school=school, data=data, name="besar.csv", by=None)
    assert web.status == StudentListUpload.Status.FAILED and web.failure_code == "too_many_rows"
    assert "20.000" in web.failure_message
    path = tmp_path / "besar.csv"
    path.write_bytes(data)
    result = json.loads(run("--school", school.npsn, str(path), "--json")[0])
    assert result["rows"] == 20_001


def test_unknown_school(tmp_path):
    with pytest.raises(CommandError):
        run("--school", "12345678", str(SAMPLE))


def test_purge_uploads_keeps_records(school):
    record, _preview = services.student_list_upload(
        school=school, data=synthetic.to_csv(synthetic.students(2)), name="a.csv", by=None
    )
    recent, _preview = services.student_list_upload(
        school=school, data=synthetic.to_csv(synthetic.students(2)), name="b.csv", by=None
    )
    StudentListUpload.objects.filter(pk=record.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    path = Path(record.file.path)
    assert path.exists()
    out = io.StringIO()
    call_command("purge_uploads", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not path.exists()
    record.refresh_from_db()
    recent.refresh_from_db()
    assert record.file_purged_at is not None and record.rows == 2
    assert recent.has_file
