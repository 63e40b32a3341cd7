"""The demo season: Batanghari's school drive as reported (2,100 students, 79.38 % recorded).

Deterministic: the same data every time. Every name and number is invented; the schools come
from an unverified public list (schools/data/sekolah_batanghari.csv) and are demo data only.
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from recordings.models import Drive, DriveSchool, Kit, Recording, Visit, VisitKit, VisitTeamMember
from schools.models import Desa, Kecamatan, School, SchoolAdmin, Student
from schools.reference_data import read_csv
from schools.roles import OPERATOR_GROUP, SCHOOL_ADMIN_GROUP, SUPERVISOR_GROUP

DEMO_PASSWORD = "demo-ektp"  # noqa: S105 - printed on purpose; the README says to change it
WIB = ZoneInfo("Asia/Jakarta")
DRIVE_NAME = "Perekaman KTP-el Sekolah"
DRIVE_START = datetime.date(2026, 9, 1)
DRIVE_END = datetime.date(2026, 12, 31)
REFERENCE_DATE = datetime.date(2026, 12, 31)
TARGET = 2100
DONE = 1667
NOT_ELIGIBLE = 5  # latest outcome "not eligible": leave the target list
UNVISITED_NPSN = ("69820626", "10505807")  # SMKN 5 Batanghari, SMAN 9 Batang Hari
UNVISITED_SIZES = {"69820626": 61, "10505807": 67}
# The office's kits: four ready, one broken, one lent (the history shows the status change).
DEMO_KITS = (
    ("Alat rekam 1", Kit.Status.READY, ""),
    ("Alat rekam 2", Kit.Status.READY, ""),
    ("Alat rekam 3", Kit.Status.READY, ""),
    ("Alat rekam 4", Kit.Status.READY, ""),
    ("Alat rekam 5", Kit.Status.BROKEN, "Kamera iris tidak terbaca; dikirim ke Jambi untuk diperbaiki."),
    ("Alat rekam 6", Kit.Status.LENT, "Dipinjam Kecamatan Bajubang untuk pelayanan keliling."),
)

# 26 public SLTA schools plus two private ones: the 28 schools of the demo drive.
DRIVE_NPSN = (
    "10500313", "10500327", "10500274", "10500219", "10500235", "10500236", "10500237", "10500238",
    "10505807", "10500312", "10506034", "10500239", "10500240", "10507880", "69820625", "69820626",
    "69964411", "69956750", "69988549", "70047723", "10507230", "10498887", "10498892", "10498888",
    "10498893", "10498895", "69944090", "10500242",
)  # fmt: skip

# Rough road distance from the Dukcapil office in Muara Bulian, per kecamatan (demo figures).
DISTANCE_KM = {
    "Muara Bulian": (2, 12), "Pemayung": (18, 35), "Bajubang": (25, 45), "Maro Sebo Ilir": (30, 45),
    "Muara Tembesi": (35, 50), "Maro Sebo Ulu": (40, 60), "Mersam": (50, 70), "Batin XXIV": (60, 85),
}  # fmt: skip

# Demo data: synthetic school coordinates, scattered (deterministically, by NPSN) within ~4 km of
# the approximate real centre of each kecamatan of Batanghari. Not the schools' real positions.
KECAMATAN_CENTRES = {
    "Muara Bulian": (-1.7000, 103.2700), "Pemayung": (-1.6300, 103.4000), "Bajubang": (-1.8100, 103.3300),
    "Maro Sebo Ilir": (-1.5800, 103.2500), "Muara Tembesi": (-1.7200, 103.1200), "Maro Sebo Ulu": (-1.6300, 102.9800),
    "Mersam": (-1.5300, 102.9000), "Batin XXIV": (-1.8300, 102.8000),
}  # fmt: skip


def _place_demo_schools(schools: list[School], kecamatan_names: dict[int, str]) -> None:
    """Give each demo school a synthetic point near its kecamatan's centre (demo data only)."""
    for school in schools:
        lat, lon = KECAMATAN_CENTRES[kecamatan_names[school.desa.kecamatan_id]]
        spot = random.Random(int(school.npsn))  # noqa: S311 - deterministic demo data, its own stream
        school.latitude = round(Decimal(lat + spot.uniform(-0.035, 0.035)), 6)
        school.longitude = round(Decimal(lon + spot.uniform(-0.035, 0.035)), 6)


FIRST_NAMES_M = [
    "Ahmad", "Rizki", "Muhammad", "Fajar", "Dimas", "Bayu", "Andi", "Arif", "Ilham", "Yoga", "Reza", "Hendra",
    "Fikri", "Agus", "Rian", "Galih", "Hafiz", "Iqbal", "Naufal", "Rafi", "Zaki", "Aldi", "Bima", "Dani",
]  # fmt: skip
FIRST_NAMES_F = [
    "Siti", "Nur", "Putri", "Dewi", "Ayu", "Rina", "Indah", "Fitri", "Aisyah", "Nabila", "Salsabila", "Zahra",
    "Anisa", "Dinda", "Tiara", "Wulan", "Sari", "Melati", "Intan", "Rahma", "Lestari", "Aulia", "Citra", "Nadia",
]  # fmt: skip
LAST_NAMES = [
    "Saputra", "Pratama", "Hidayat", "Nugraha", "Ramadhan", "Wijaya", "Kurniawan", "Maulana", "Hasibuan",
    "Siregar", "Lubis", "Harahap", "Putra", "Rahmawati", "Lestari", "Handayani", "Syahputra", "Fitriani",
    "Anggraini", "Permata", "Yusuf", "Hakim", "Firdaus", "Sembiring", "Sinaga", "Batubara", "Nasution",
]  # fmt: skip
PLACES = ["Muara Bulian", "Muara Tembesi", "Jambi", "Bajubang", "Pemayung", "Mersam", "Sarolangun", "Muara Jangga"]
NIK_REGIONS_OUTSIDE = ["157101", "157104", "150505", "150602"]  # Kota Jambi, Muaro Jambi, Tanjab Timur


@dataclass(frozen=True)
class SeedResult:
    created: bool
    schools: int
    students: int
    usernames: list[str]


def _norm(name: str) -> str:
    name = name.lower().replace("s.", "sungai ")
    return re.sub(r"[^a-z0-9]", "", name)


def _find_desa(kecamatan: Kecamatan, name: str, desa_by_kecamatan: dict) -> Desa:
    """Match a desa name loosely (Sukaramai/Suka Ramai, Simpang S. Rengas, Kampung Baru Km 5)."""
    wanted = _norm(name)
    candidates = desa_by_kecamatan[kecamatan.pk]
    for desa in candidates:
        if _norm(desa.name) == wanted:
            return desa
    for desa in candidates:
        if wanted.startswith(_norm(desa.name)) or _norm(desa.name).startswith(wanted):
            return desa
    raise ValueError(f"Desa {name!r} not found in {kecamatan}")


def _split(total: int, count: int, rng: random.Random, low: int, high: int) -> list[int]:
    """Split ``total`` into ``count`` parts drawn between low and high, summing exactly."""
    raw = [rng.randint(low, high) for _ in range(count)]
    scale = total / sum(raw)
    parts = [max(1, round(r * scale)) for r in raw]
    while sum(parts) != total:
        i = rng.randrange(count)
        parts[i] += 1 if sum(parts) < total else -1
    return parts


class _Numbers:
    """Unique synthetic NIK / No KK / NISN with the real structure."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.serials: dict[str, int] = {}
        self.kks: set[str] = set()

    def nik(self, region: str, birth_date: datetime.date, gender: str) -> str:
        day = birth_date.day + (40 if gender == "P" else 0)
        prefix = f"{region}{day:02d}{birth_date:%m%y}"
        self.serials[prefix] = self.serials.get(prefix, 0) + 1
        return f"{prefix}{self.serials[prefix]:04d}"

    def kk(self, region: str) -> str:
        while True:
            day, month, year = self.rng.randint(10, 31), self.rng.randint(1, 12), self.rng.randint(10, 24)
            value = f"{region}{day:02d}{month:02d}{year:02d}{self.rng.randint(1, 9999):04d}"
            if value not in self.kks:
                self.kks.add(value)
                return value

    def nisn(self, birth_date: datetime.date) -> str:
        return f"00{birth_date.year % 100:02d}{self.rng.randint(0, 999999):06d}"


def _class_names(level: str) -> list[str]:
    majors = {"SMK": ["TKJ", "AKL", "TBSM"], "MA": ["MIPA", "IPS"], "SMA": ["IPA", "IPS"]}.get(level, ["IPA"])
    return [f"{grade} {major} {n}" for grade in ("XI", "XII") for major in majors for n in (1, 2)]


def _weekdays(start: datetime.date, count: int, rng: random.Random) -> list[datetime.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=rng.choice([1, 1, 2, 3]))
    return days


def _tap(day: datetime.date, rng: random.Random) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=WIB) + datetime.timedelta(
        minutes=rng.randint(0, 6 * 60), seconds=rng.randint(0, 59)
    )


def _ensure_users(schools: list[School]) -> list[str]:
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    supervisor, operator, school_admin = (
        Group.objects.get(name=SUPERVISOR_GROUP),
        Group.objects.get(name=OPERATOR_GROUP),
        Group.objects.get(name=SCHOOL_ADMIN_GROUP),
    )
    specs = [
        ("admin", "Admin Sistem", True, None, None),
        ("dukcapil", "Supervisor Dukcapil", False, supervisor, None),
        ("operator", "Operator Dukcapil", False, operator, None),
    ] + [(f"sekolah-{s.npsn}", f"Operator {s.name}", False, school_admin, s) for s in schools]
    usernames = []
    for username, full_name, is_superuser, group, school in specs:
        first, _, last = full_name.partition(" ")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_superuser": is_superuser,
                "is_staff": is_superuser,
                "password": password,
            },
        )
        if group:
            user.groups.add(group)
        if school:
            SchoolAdmin.objects.get_or_create(school=school, user=user)
        usernames.append(username)
    return usernames


def demo_usernames() -> list[str]:
    """Return the demo accounts that exist (for printing)."""
    User = get_user_model()
    names = ["admin", "dukcapil", "operator"]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    schools = User.objects.filter(username__startswith="sekolah-").order_by("username")
    return [n for n in names if n in existing] + list(schools.values_list("username", flat=True))


@transaction.atomic
def seed_demo_season() -> SeedResult:
    """Create the demo season unless the database already holds data (safe to re-run)."""
    if Drive.objects.exists() or Student.objects.exists() or School.objects.exists():
        return SeedResult(False, School.objects.count(), Student.objects.count(), demo_usernames())

    rng = random.Random(20261129)  # noqa: S311 - deterministic demo data
    numbers = _Numbers(rng)
    kecamatan_by_name = {k.name: k for k in Kecamatan.objects.all()}
    desa_by_kecamatan: dict[int, list[Desa]] = {}
    for desa in Desa.objects.order_by("code"):
        desa_by_kecamatan.setdefault(desa.kecamatan_id, []).append(desa)

    rows = {row["npsn"]: row for row in read_csv("sekolah_batanghari.csv")}
    schools = []
    for npsn in DRIVE_NPSN:
        row = rows[npsn]
        kecamatan = kecamatan_by_name[row["kecamatan"]]
        low, high = DISTANCE_KM[kecamatan.name]
        schools.append(
            School(
                npsn=npsn,
                name=row["name"],
                level=row["level"] if row["level"] in School.Level.values else School.Level.OTHER,
                status=School.Status.NEGERI if row["status"].lower() == "negeri" else School.Status.SWASTA,
                desa=_find_desa(kecamatan, row["desa"], desa_by_kecamatan),
                address=f"{row['desa']}, Kec. {kecamatan.name} (data demo)",
                contact_name="Operator sekolah (demo)" if row["status"].lower() == "negeri" else "",
                # Synthetic WhatsApp numbers (0812-0…): the two private schools have no contact yet,
                # so the planning page's "no contact" list has something to show.
                contact_phone=f"+628120{npsn[-6:]}" if row["status"].lower() == "negeri" else "",
                distance_km=rng.randint(low * 10, high * 10) / 10,
            )
        )
    _place_demo_schools(schools, {k.pk: name for name, k in kecamatan_by_name.items()})
    School.objects.bulk_create(schools)
    schools.sort(key=lambda s: (float(s.distance_km), s.npsn))

    drive = Drive.objects.create(
        name=DRIVE_NAME,
        start_date=DRIVE_START,
        end_date=DRIVE_END,
        reference_date=REFERENCE_DATE,
        students_per_kit_per_day=60,
    )
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school=s) for s in schools])

    visited = [s for s in schools if s.npsn not in UNVISITED_NPSN]
    visited_target = TARGET - sum(UNVISITED_SIZES.values())
    sizes = dict(zip([s.npsn for s in visited], _split(visited_target, len(visited), rng, 45, 110), strict=True))
    sizes.update(UNVISITED_SIZES)
    done_parts = _split(DONE, len(visited), rng, 70, 97)
    done_by_school = {}
    for school, done in zip(visited, done_parts, strict=True):
        done_by_school[school.npsn] = min(done, sizes[school.npsn] - 2)
    shortfall = DONE - sum(done_by_school.values())
    for school in visited:  # put back what the cap above took away
        room = sizes[school.npsn] - 2 - done_by_school[school.npsn]
        take = min(room, shortfall)
        done_by_school[school.npsn] += take
        shortfall -= take
    assert shortfall == 0

    operator_user = None
    usernames = _ensure_users(schools)
    User = get_user_model()
    operator_user = User.objects.get(username="operator")
    supervisor_user = User.objects.get(username="dukcapil")

    cutoff = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 16)
    students: list[Student] = []
    plan: list[tuple[Student, str]] = []  # (student, role in the story)
    not_eligible_left = NOT_ELIGIBLE
    for school in schools:
        kecamatan_code = school.desa.kecamatan.code.replace(".", "")
        classes = _class_names(school.level)
        size = sizes[school.npsn]
        extra_not_eligible = 1 if not_eligible_left and school in visited[:NOT_ELIGIBLE] else 0
        not_eligible_left -= extra_not_eligible
        stories = ["target"] * size + ["not_eligible"] * extra_not_eligible
        stories += ["under_16"] * rng.randint(2, 6) + ["left"] * rng.randint(0, 2)
        for story in stories:
            gender = rng.choice("LP")
            if story == "under_16":
                birth = cutoff + datetime.timedelta(days=rng.randint(1, 300))
                class_name = classes[0].replace("XI ", "X ", 1)
            else:
                birth = cutoff - datetime.timedelta(days=rng.randint(0, 3 * 365))
                class_name = rng.choice(classes)
            first = rng.choice(FIRST_NAMES_M if gender == "L" else FIRST_NAMES_F)
            name = f"{first} {rng.choice(LAST_NAMES)}"
            region = kecamatan_code if rng.random() < 0.85 else rng.choice(NIK_REGIONS_OUTSIDE)
            student = Student(
                school=school,
                name=name,
                gender=gender,
                birth_place=rng.choice(PLACES),
                birth_date=birth,
                nik=numbers.nik(region, birth, gender),
                kk=numbers.kk(kecamatan_code),
                nisn=numbers.nisn(birth),
                nipd=f"{rng.randint(2223, 2526)}{rng.randint(1, 999):03d}",
                class_name=class_name,
                is_active=story != "left",
                left_on=datetime.date(2026, 7, 15) if story == "left" else None,
            )
            students.append(student)
            plan.append((student, story))
    Student.objects.bulk_create(students, batch_size=1000)

    # Visits: one per visited school (a few with a follow-up visit), a postponed one for a power cut.
    visit_days = _weekdays(datetime.date(2026, 9, 7), len(visited), rng)
    visits: dict[str, list[Visit]] = {}
    kit_counts: dict[int, int] = {}
    for school, day in zip(visited, visit_days, strict=True):
        visit = Visit(drive=drive, school=school, date=day, status=Visit.Status.DONE)
        kit_counts[id(visit)] = rng.choice([2, 2, 3])
        visits[school.npsn] = [visit]
    follow_up_schools = visited[:: max(1, len(visited) // 4)][:4]
    follow_days = _weekdays(datetime.date(2026, 11, 9), len(follow_up_schools), rng)
    for school, day in zip(follow_up_schools, follow_days, strict=True):
        visit = Visit(drive=drive, school=school, date=day, status=Visit.Status.DONE)
        kit_counts[id(visit)] = 1
        visits[school.npsn].append(visit)
    smkn5 = next(s for s in schools if s.npsn == "69820626")
    postponed = Visit(
        drive=drive,
        school=smkn5,
        date=datetime.date(2026, 11, 19),
        status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.POWER_CUT,
        notes="Listrik padam di Desa Sungai Buluh sejak pagi; jadwal ulang menunggu konfirmasi PLN dan sekolah.",
    )
    kit_counts[id(postponed)] = 2
    all_visits = [v for vs in visits.values() for v in vs] + [postponed]
    for visit in all_visits:
        visit.created_by = supervisor_user
        if visit.status == Visit.Status.DONE:
            visit.started_at = datetime.datetime.combine(visit.date, datetime.time(7, 45), tzinfo=WIB)
            visit.finished_at = datetime.datetime.combine(visit.date, datetime.time(14, 30), tzinfo=WIB)
    Visit.objects.bulk_create(all_visits)
    kits = _seed_kits()
    # Every demo visit is on a day of its own, so each takes the first kits of the registry.
    VisitKit.objects.bulk_create([VisitKit(visit=v, kit=kit) for v in all_visits for kit in kits[: kit_counts[id(v)]]])
    VisitTeamMember.objects.bulk_create(
        [VisitTeamMember(visit=v, user=operator_user) for v in all_visits]
        + [VisitTeamMember(visit=v, user=supervisor_user) for v in all_visits if v.status == Visit.Status.DONE]
    )

    recordings = _outcomes(plan, visits, done_by_school, operator_user, rng)
    Recording.objects.bulk_create(recordings, batch_size=1000)
    Student.objects.bulk_update([s for s, _ in plan if not s.nik], ["nik"])
    return SeedResult(True, len(schools), len(students), usernames)


def _seed_kits() -> list[Kit]:
    """The demo's kit registry; the broken and lent kits were ready first (their history shows it)."""
    kits = [Kit.objects.create(name=name, status=Kit.Status.READY) for name, _status, _note in DEMO_KITS]
    for kit, (_name, status, note) in zip(kits, DEMO_KITS, strict=True):
        if status != Kit.Status.READY:
            kit.status, kit.note = status, note
            kit.save(update_fields=["status", "note"])
    return kits


def _outcomes(plan, visits, done_by_school, operator_user, rng) -> list[Recording]:
    """Give visited schools' students their outcomes so that exactly DONE count as done."""
    kinds = Recording.Outcome
    follow_up_pool = [kinds.ABSENT] * 10 + [kinds.MISSING_DOCUMENTS] * 4 + [kinds.BIOMETRIC_FAILURE] * 4
    follow_up_pool += [kinds.REFUSED]
    by_school: dict[str, list[tuple[Student, str]]] = {}
    for student, story in plan:
        by_school.setdefault(student.school.npsn, []).append((student, story))
    recordings = []
    for npsn, school_visits in visits.items():
        first, *later = school_visits
        target = [s for s, story in by_school[npsn] if story == "target"]
        rng.shuffle(target)
        done = done_by_school[npsn]
        for i, student in enumerate(target):
            if i < done:
                outcome = Recording.Outcome.ALREADY_RECORDED if rng.random() < 0.07 else Recording.Outcome.RECORDED
                if later and rng.random() < 0.25:
                    # Absent or failed at the first visit, recorded at the follow-up.
                    recordings.append(_rec(first, student, rng.choice(follow_up_pool), operator_user, rng))
                    recordings.append(_rec(later[0], student, outcome, operator_user, rng))
                else:
                    recordings.append(_rec(first, student, outcome, operator_user, rng))
            elif rng.random() < 0.85:
                recordings.append(_rec(first, student, rng.choice(follow_up_pool), operator_user, rng))
            elif i % 2:
                student.nik = ""  # waiting for a NIK from the school: cannot be recorded yet
        for student, story in by_school[npsn]:
            if story == "not_eligible":
                recordings.append(
                    Recording(
                        visit=first,
                        student=student,
                        outcome=Recording.Outcome.NOT_ELIGIBLE,
                        reason="Sudah pindah domisili ke luar Kabupaten Batanghari",
                        recorded_at=_tap(first.date, rng),
                        recorded_by=operator_user,
                    )
                )
    return recordings


def _rec(visit, student, outcome, user, rng) -> Recording:
    return Recording(visit=visit, student=student, outcome=outcome, recorded_at=_tap(visit.date, rng), recorded_by=user)
