import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from recordings.models import Recording, Visit
from recordings.selectors import drive_current, drive_headline
from schools.models import School, Student

pytestmark = pytest.mark.django_db


def test_seed_demo_reproduces_the_season_and_is_idempotent(capsys, settings):
    settings.DEBUG = True  # as in `make run`: no flag needed
    call_command("seed_demo")
    drive = drive_current()
    headline = drive_headline(drive)
    assert headline.progress.target == 2100
    assert headline.progress.done == 1667
    assert str(headline.progress.completion) == "79.38"
    assert (headline.schools_total, headline.schools_visited, headline.schools_not_visited) == (28, 26, 2)
    unvisited = set(
        School.objects.filter(drive_links__drive=drive)
        .exclude(visits__status__in=Visit.VISITED_STATUSES)
        .values_list("name", flat=True)
    )
    assert unvisited == {"SMKN 5 Batanghari", "SMAN 9 BATANG HARI"}
    postponed = Visit.objects.get(status=Visit.Status.POSTPONED)
    assert postponed.postponement_reason == Visit.PostponementReason.POWER_CUT
    outcomes = set(Recording.objects.values_list("outcome", flat=True))
    assert {"recorded", "already_recorded", "absent", "biometric_failure", "missing_documents"} <= outcomes
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="dukcapil").check_password("demo-ektp")
    assert users.filter(username__startswith="sekolah-").count() == 28

    counts = (Student.objects.count(), Recording.objects.count(), Visit.objects.count(), users.count())
    call_command("seed_demo", i_know_this_is_not_production=True)
    assert (Student.objects.count(), Recording.objects.count(), Visit.objects.count(), users.count()) == counts
    assert "not seeded again" in capsys.readouterr().out


def test_seed_demo_refuses_without_debug_unless_told(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="i-know-this-is-not-production"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="admin").exists()
    assert not School.objects.exists()
