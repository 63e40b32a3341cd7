import datetime

import pytest
from django.db import IntegrityError, transaction

from schools.models import Desa, Kecamatan, NikRegion, Student, mask_number
from tests.factories import StudentFactory, make_nik

pytestmark = pytest.mark.django_db


def test_reference_data_loaded_by_migration():
    assert Kecamatan.objects.count() == 8
    assert Desa.objects.filter(kind=Desa.Kind.KELURAHAN).count() == 14
    assert Desa.objects.filter(kind=Desa.Kind.DESA).count() == 110
    assert NikRegion.objects.count() == 7285
    assert NikRegion.objects.get(code="150403").name == "Muara Bulian"


def test_nik_unique_among_active_students(school, other_school):
    student = StudentFactory(school=school)
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(school=other_school, nik=student.nik)
    # A student who left frees the NIK (e.g. moved to another school).
    Student.objects.filter(pk=student.pk).update(is_active=False, left_on=datetime.date(2026, 7, 1))
    StudentFactory(school=other_school, nik=student.nik)


def test_empty_nik_allowed_for_many_students(school):
    StudentFactory(school=school, nik="")
    StudentFactory(school=school, nik="")
    assert Student.objects.filter(nik="").count() == 2


@pytest.mark.parametrize(
    "field,value",
    [
        ("nik", "0504031705080001"),  # starts with 0
        ("nik", "15040317050800"),  # 14 digits
        ("nik", "15040317O5080001"),  # letter O
        ("kk", "123"),
        ("nisn", "12345"),
        ("gender", "X"),
    ],
)
def test_malformed_numbers_rejected_by_database(school, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(school=school, **{field: value})


def test_nik_equal_to_kk_rejected(school):
    nik = make_nik(birth_date=datetime.date(2008, 1, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(school=school, nik=nik, kk=nik)


def test_age_is_derived():
    student = Student(birth_date=datetime.date(2010, 3, 15))
    assert student.age_on(datetime.date(2026, 3, 14)) == 15
    assert student.age_on(datetime.date(2026, 3, 15)) == 16


def test_mask_number():
    assert mask_number("1504031705080001") == "1504********0001"
    assert mask_number("") == ""
