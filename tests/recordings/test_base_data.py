import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from schools.models import Desa, Kecamatan, NikRegion
from schools.roles import OPERATOR_GROUP, SCHOOL_ADMIN_GROUP, SUPERVISOR_GROUP


@pytest.mark.django_db(transaction=True)
def test_flush_keeps_groups_and_regions():
    call_command("flush", interactive=False, verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) >= {SUPERVISOR_GROUP, OPERATOR_GROUP, SCHOOL_ADMIN_GROUP}
    assert Group.objects.get(name=OPERATOR_GROUP).permissions.filter(codename="add_recording").exists()
    assert (Kecamatan.objects.count(), Desa.objects.count(), NikRegion.objects.count()) == (8, 124, 7285)
