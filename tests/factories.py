"""Factories for synthetic test data. Never real people's numbers."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from recordings.models import Drive, DriveSchool, Kit, Recording, Visit, VisitKit
from schools.models import Desa, School, SchoolAdmin, Student
from schools.roles import OPERATOR_GROUP, SCHOOL_ADMIN_GROUP, SUPERVISOR_GROUP

User = get_user_model()
PASSWORD = "test-pass-123"

_nik_serial = itertools.count(1)


def make_nik(*, birth_date: datetime.date, gender: str = "L", region: str = "150403", serial: int | None = None) -> str:
    """Build a synthetic NIK with the real structure: region, DDMMYY (+40 for women), serial."""
    day = birth_date.day + (40 if gender == "P" else 0)
    serial = serial if serial is not None else next(_nik_serial)
    return f"{region}{day:02d}{birth_date:%m%y}{serial % 10000 or 1:04d}"


def make_kk(serial: int) -> str:
    return f"1504031{serial:09d}"


def birth_date_for_age(age: int, on: datetime.date) -> datetime.date:
    """A birth date giving exactly ``age`` on ``on`` (birthday two months before)."""
    month_back = on - datetime.timedelta(days=60)
    return month_back.replace(year=month_back.year - age)


_password_hash: str | None = None


def password_hash() -> str:
    """Hash PASSWORD once per test run (PBKDF2 is slow on purpose)."""
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    return _password_hash


def in_group(name: str):
    """Post-generation hook that puts the user in a role group."""

    def add(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get(name=name))

    return factory.PostGeneration(add)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Petugas {n}")
    password = factory.LazyFunction(password_hash)


class SupervisorFactory(UserFactory):
    role = in_group(SUPERVISOR_GROUP)


class OperatorFactory(UserFactory):
    role = in_group(OPERATOR_GROUP)


class SuperuserFactory(UserFactory):
    is_superuser = True
    is_staff = True


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    npsn = factory.Sequence(lambda n: f"{90000000 + n:08d}")
    name = factory.Sequence(lambda n: f"SMA Contoh {n}")
    level = School.Level.SMA
    status = School.Status.NEGERI
    desa = factory.LazyFunction(lambda: Desa.objects.order_by("code").first())


class SchoolAdminUserFactory(UserFactory):
    """A school admin (operator sekolah); pass school=... to tie them to a school."""

    role = in_group(SCHOOL_ADMIN_GROUP)

    @factory.post_generation
    def school(self, create, extracted, **kwargs):
        if create and extracted:
            SchoolAdmin.objects.create(user=self, school=extracted)


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Siswa Contoh {n}")
    gender = Student.Gender.MALE
    birth_place = "Muara Bulian"
    birth_date = datetime.date(2008, 5, 17)
    nik = factory.LazyAttribute(lambda o: make_nik(birth_date=o.birth_date, gender=o.gender))
    kk = factory.Sequence(make_kk)
    nisn = factory.Sequence(lambda n: f"{n:010d}")
    class_name = "XII IPA 1"


class DriveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Drive
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Perekaman KTP-el Sekolah {n}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    reference_date = factory.LazyAttribute(lambda o: o.end_date)

    @factory.post_generation
    def schools(self, create, extracted, **kwargs):
        if create and extracted:
            DriveSchool.objects.bulk_create([DriveSchool(drive=self, school=s) for s in extracted])


class KitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kit

    name = factory.Sequence(lambda n: f"Alat uji {n:03d}")
    status = Kit.Status.READY


class VisitFactory(factory.django.DjangoModelFactory):
    """A visit with its own new kits (``kits=2`` by default; a number, or a list of kits)."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    drive = factory.SubFactory(DriveFactory)
    school = factory.SubFactory(SchoolFactory)
    date = factory.LazyFunction(timezone.localdate)
    status = Visit.Status.IN_PROGRESS

    @factory.post_generation
    def kits(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = 2
        kits = KitFactory.create_batch(extracted) if isinstance(extracted, int) else list(extracted)
        VisitKit.objects.bulk_create([VisitKit(visit=self, kit=kit) for kit in kits])


class RecordingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recording

    visit = factory.SubFactory(VisitFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..visit.school"))
    outcome = Recording.Outcome.RECORDED
    recorded_at = factory.LazyFunction(timezone.now)
    reason = factory.LazyAttribute(lambda o: "Pindah domisili" if o.outcome == Recording.Outcome.NOT_ELIGIBLE else "")


def visit_with_students(
    *, students: int = 3, school: School | None = None, drive: Drive | None = None, **visit_fields
) -> tuple[Visit, list[Student]]:
    """A visit (in progress unless ``status=...``) to a school of a drive, with eligible students.

    The school is put in the drive, so the students are on the visit's target list.
    """
    school = school or SchoolFactory()
    if drive is None:
        drive = DriveFactory(schools=[school])
    elif not DriveSchool.objects.filter(drive=drive, school=school).exists():
        DriveSchool.objects.create(drive=drive, school=school)
    visit_fields.setdefault("started_at", timezone.now() - datetime.timedelta(hours=1))
    visit = VisitFactory(drive=drive, school=school, **visit_fields)
    roster = [StudentFactory(school=school, class_name=f"XII IPA {1 + i % 2}") for i in range(students)]
    return visit, roster
