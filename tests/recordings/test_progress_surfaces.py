"""Every surface shows the same figures, by one definition, for the drive, each kecamatan and each school.

The demo season plus a random scenario (taps, a pending leaver, a rejected one, an under-age student)
is read back from the home page, the dashboard (headline, school and kecamatan tables), the school
pages, the printed report, the summary export, the Django admin's school list and the command line,
and compared with a recount from the raw rows.
"""

import csv
import io
import random
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import Recording, Visit
from recordings.selectors.drives import drive_current
from recordings.selectors.progress import (
    FIGURES,
    OUTSIDE_FIGURES,
    TABLE_FIGURES,
    Progress,
    cumulative_done_by_day,
    drive_daily_changes,
    progress_recount,
)
from schools.models import LeftProposal, School, Student, StudentListUpload
from tests.factories import SuperuserFactory, SupervisorFactory, birth_date_for_age

pytestmark = pytest.mark.django_db

COLUMNS = (*TABLE_FIGURES, *OUTSIDE_FIGURES)


def number(text: str):
    text = re.sub(r"<[^>]+>", "", text).replace("&nbsp;", " ").replace("%", "").strip()
    return Decimal(text.replace(".", "").replace(",", ".")) if "," in text else int(text.replace(".", ""))


def cells(html: str) -> dict[str, object]:
    """{figure code: value} of the data-figure cells in a fragment."""
    found = {}
    for code, body in re.findall(r'data-figure="([a-z_]+)">(.*?)</(?:td|dd)>', html, re.S):
        if code == "completion":
            body = re.search(r'progress-value">(.*?)</span>', body, re.S).group(1) if "progress-value" in body else body
        found[code] = number(body)
    return found


def rows_by(html: str, attribute: str) -> dict[str, dict]:
    return {key: cells(body) for key, body in re.findall(rf'<tr[^>]*{attribute}="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)}


def expected(progress: Progress, codes=COLUMNS) -> dict:
    return {code: progress.value(code) for code in codes}


def random_scenario(drive, rng: random.Random) -> None:
    by = SupervisorFactory()
    refused = []
    visits = list(Visit.objects.filter(drive=drive, status=Visit.Status.IN_PROGRESS)) or list(
        Visit.objects.filter(drive=drive, status=Visit.Status.DONE)
    )
    for visit in visits:
        Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.IN_PROGRESS, started_at=timezone.now())
        visit.refresh_from_db()
        students = list(Student.objects.filter(school=visit.school, is_active=True)[:40])
        for student in rng.sample(students, min(8, len(students))):
            outcome = rng.choice([*Recording.Outcome.values, None])
            try:
                services.recording_apply(
                    visit=visit,
                    student=student,
                    outcome=outcome,
                    reason="Pindah domisili" if outcome == "not_eligible" else "",
                    by=by,
                )
            except ValidationError:  # a refused tap is part of a random scenario
                refused.append(student.pk)
    schools = list(School.objects.filter(drive_links__drive=drive).order_by("pk"))
    upload = StudentListUpload.objects.create(
        school=schools[0], uploaded_by=by, original_name="daftar.csv", status="cancelled", cancelled_at=timezone.now()
    )
    leavers = list(Student.objects.filter(school__in=schools[:3], is_active=True).order_by("?")[:6])
    for student in leavers:
        LeftProposal.objects.create(upload=upload, student=student)
    LeftProposal.objects.filter(student=leavers[0]).update(status=LeftProposal.Status.DISMISSED)
    young = Student.objects.filter(school=schools[1], is_active=True).first()
    young.birth_date = birth_date_for_age(14, timezone.localdate())
    young.save()


def test_every_surface_shows_the_same_figures(client):
    call_command("seed_demo", i_know_this_is_not_production=True)
    drive = drive_current()
    random_scenario(drive, random.Random(11))
    per_school = progress_recount(drive)
    schools = {s.pk: s for s in School.objects.filter(pk__in=per_school).select_related("desa__kecamatan")}
    per_kecamatan: dict[int, list[Progress]] = {}
    for pk, progress in per_school.items():
        per_kecamatan.setdefault(schools[pk].desa.kecamatan_id, []).append(progress)
    total = Progress.total(per_school.values())
    assert total.remaining == total.target - total.done
    assert total.proposed_left == 5

    client.force_login(SuperuserFactory())
    query = {"drive": drive.pk}

    # Dashboard: headline breakdown, per-school and per-kecamatan tables.
    html = client.get(reverse("progress_dashboard"), query).content.decode()
    breakdown = re.search(r'data-testid="breakdown">(.*?)</dl>', html, re.S).group(1)
    assert cells(breakdown) == {f.code: total.value(f.code) for f in FIGURES}
    table = rows_by(html, "data-npsn")
    assert table == {schools[pk].npsn: expected(p) for pk, p in per_school.items()}
    kecamatan = rows_by(html, "data-kecamatan")
    assert kecamatan == {str(k): expected(Progress.total(ps)) for k, ps in per_kecamatan.items()}
    assert "Periksa usulan keluar" in html

    # Home page.
    home = client.get(reverse("home"), query).content.decode()
    for testid, code in (("target", "target"), ("done", "done"), ("remaining", "remaining"), ("recorded", "recorded")):
        value = re.search(rf'data-testid="{testid}">([^<]*)<', home).group(1)
        assert number(value) == total.value(code), testid

    # Every school page.
    for pk, progress in per_school.items():
        page = client.get(reverse("progress_school", args=[pk]), query).content.decode()
        row = re.search(r'data-testid="school-figures-row">(.*?)</tr>', page, re.S).group(1)
        assert cells(row) == expected(progress), schools[pk].name

    # The printed report: total, every school (28 ≤ the report's limit) and the kecamatan shown.
    report = client.get(reverse("progress_report"), query).content.decode()
    assert cells(re.search(r'data-testid="report-total">(.*?)</tr>', report, re.S).group(1)) == expected(total)
    assert rows_by(report, "data-npsn") == table
    for key, figures in rows_by(report, "data-kecamatan").items():
        assert figures == kecamatan[key]
    footnote = re.search(r'data-testid="report-footnote">(.*?)</div>', report, re.S).group(1)
    for f in FIGURES:
        assert f'<dt class="col-3">{f.label}</dt>' in footnote

    # The summary export (CSV: the same column names; totals on the last row).
    response = client.get(reverse("progress_export_summary", args=["csv"]), query)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]  # after the note line
    header = lines[0]
    index = {code: header.index(str(next(f.label for f in FIGURES if f.code == code))) for code in COLUMNS}

    def exported(line):  # CSV for Indonesian Excel: plain numbers, comma decimals
        return {
            code: Decimal(line[i].replace(",", ".")) if code == "completion" else int(line[i])
            for code, i in index.items()
        }

    assert {line[0]: exported(line) for line in lines[1:-1]} == table
    assert exported(lines[-1]) == expected(total)

    # The Django admin's school list (the current drive's figures, same names).
    admin = client.get(reverse("admin:schools_school_changelist"), {"all": ""}).content.decode()
    for pk, progress in per_school.items():
        row = re.search(rf"<tr>(?:(?!</tr>).)*?>{schools[pk].npsn}</a>(.*?)</tr>", admin, re.S).group(1)
        shown = {c: re.search(rf'class="field-{c}">([^<]*)<', row).group(1) for c in ("target", "done", "remaining")}
        assert {c: number(v) for c, v in shown.items()} == expected(progress, ("target", "done", "remaining"))
        completion = re.search(r'class="field-completion">([^<]*)<', row).group(1)
        if progress.target:
            assert number(completion) == progress.completion

    # The command line.
    out = io.StringIO()
    call_command("verify_progress", "--drive", str(drive.pk), stdout=out)
    assert "Tidak ada selisih." in out.getvalue()
    line = out.getvalue().splitlines()[0]
    for f in FIGURES:
        value = re.search(rf"{re.escape(str(f.label))} ([0-9.,]+)", line).group(1)
        assert number(value) == total.value(f.code), f.code

    # The chart's last point is the number done.
    series = cumulative_done_by_day(drive_daily_changes(drive), start=drive.start_date, end=drive.end_date)
    assert series[-1][1] == total.done
