"""School admin accounts: created by a supervisor with a one-time password, forced change, deactivation."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from schools.models import AccountProfile, SchoolAdmin
from schools.roles import SCHOOL_ADMIN_GROUP

pytestmark = pytest.mark.django_db


def create(client, school, **extra):
    data = {"school": school.pk, "full_name": "Operator Sekolah", "username": "sekolah-baru", "phone": "0812 3456 7890"}
    data.update(extra)
    return client.post(reverse("schools:account_create"), data)


def test_only_supervisors_manage_accounts(client, school, operator, school_admin):
    assert client.get(reverse("schools:account_list")).status_code == 302
    for user in (operator, school_admin):
        client.force_login(user)
        assert client.get(reverse("schools:account_list")).status_code == 403
        assert create(client, school).status_code == 403
    assert not get_user_model().objects.filter(username="sekolah-baru").exists()


def test_supervisor_creates_account_with_one_time_password_shown_once(client, school, supervisor):
    client.force_login(supervisor)
    response = create(client, school)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert password in response.content.decode()
    user = get_user_model().objects.get(username="sekolah-baru")
    assert user.check_password(password)
    assert user.groups.filter(name=SCHOOL_ADMIN_GROUP).exists()
    assert SchoolAdmin.objects.filter(user=user, school=school).exists()
    assert user.account_profile.must_change_password and user.account_profile.phone == "0812 3456 7890"
    assert password not in client.get(reverse("schools:account_list")).content.decode()


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"username": "Bad Name!"}, "username"),
        ({"username": "supervisor"}, "username"),
        ({"phone": "", "email": ""}, "__all__"),
        ({"phone": "abc"}, "phone"),
    ],
)
def test_account_form_errors(client, school, supervisor, extra, field):
    client.force_login(supervisor)
    response = create(client, school, **extra)
    assert response.status_code == 422
    assert field in response.context["form"].errors


def test_first_login_forces_a_new_password(client, school, supervisor):
    client.force_login(supervisor)
    password = create(client, school).context["password"]
    admin = Client()
    assert admin.login(username="sekolah-baru", password=password)
    response = admin.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("schools:password_first")
    assert admin.get(reverse("schools:upload_new")).url == reverse("schools:password_first")
    page = admin.get(reverse("schools:password_first"))
    assert "kata sandi sekali pakai" in page.content.decode()
    weak = admin.post(reverse("schools:password_first"), {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 422
    done = admin.post(
        reverse("schools:password_first"),
        {"new_password1": "sungai-batanghari-77", "new_password2": "sungai-batanghari-77"},
    )
    assert done.status_code == 302
    assert admin.get(reverse("schools:upload_new")).status_code == 200
    profile = AccountProfile.objects.get(user__username="sekolah-baru")
    assert not profile.must_change_password and profile.password_changed_at


def test_deactivation_ends_sessions(client, school, supervisor, school_admin):
    admin = Client()
    admin.force_login(school_admin)
    assert admin.get(reverse("schools:upload_new")).status_code == 200
    client.force_login(supervisor)
    response = client.post(reverse("schools:account_deactivate", args=[school_admin.pk]))
    assert response.status_code == 302
    school_admin.refresh_from_db()
    assert not school_admin.is_active
    assert admin.get(reverse("schools:upload_new")).status_code == 302  # back to the login page
    user_ids = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(school_admin.pk) not in user_ids


def test_reset_password_reactivates_with_a_new_one_time_password(client, school, supervisor, school_admin):
    client.force_login(supervisor)
    client.post(reverse("schools:account_deactivate", args=[school_admin.pk]))
    response = client.post(reverse("schools:account_reset_password", args=[school_admin.pk]))
    password = response.context["password"]
    school_admin.refresh_from_db()
    assert school_admin.is_active and school_admin.check_password(password)
    assert school_admin.account_profile.must_change_password


def test_supervisor_cannot_reset_non_school_admin_accounts(client, supervisor, operator):
    client.force_login(supervisor)
    assert client.post(reverse("schools:account_reset_password", args=[operator.pk])).status_code == 404
    assert client.post(reverse("schools:account_deactivate", args=[operator.pk])).status_code == 404


def test_account_list_queries_bounded(client, school, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    for index in range(5):
        create(client, school, username=f"sekolah-{index}")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("schools:account_list"))
    assert response.content.decode().count("Belum ganti kata sandi") == 5


def test_forced_change_is_decided_at_login(client, school_admin):
    """The login stores the answer in the session; later requests do not ask the database."""
    from schools.middleware import SESSION_KEY

    client.force_login(school_admin)
    assert client.session[SESSION_KEY] == [school_admin.pk, False]
    AccountProfile.objects.update_or_create(user=school_admin, defaults={"must_change_password": True})
    client.force_login(school_admin)
    assert client.get(reverse("home")).url == reverse("schools:password_first")


def test_session_without_the_answer_is_looked_up_once(client, school_admin):
    from schools.middleware import SESSION_KEY

    AccountProfile.objects.update_or_create(user=school_admin, defaults={"must_change_password": True})
    client.force_login(school_admin)
    session = client.session
    del session[SESSION_KEY]
    session.save()
    assert client.get(reverse("home")).url == reverse("schools:password_first")
    assert client.session[SESSION_KEY] == [school_admin.pk, True]


@pytest.fixture
def stronger_accounts(school):
    """Accounts in the school-admin group that are more than a school admin."""
    from tests.factories import OperatorFactory, SchoolAdminUserFactory, SuperuserFactory, SupervisorFactory

    group = Group.objects.get(name=SCHOOL_ADMIN_GROUP)
    root = SuperuserFactory(username="root-in-group")
    staff = SchoolAdminUserFactory(username="staff-in-group", school=school, is_staff=True)
    operator = OperatorFactory(username="operator-in-group")
    supervisor = SupervisorFactory(username="supervisor-in-group")
    for user in (root, operator, supervisor):
        user.groups.add(group)
        SchoolAdmin.objects.create(user=user, school=school)
    return [root, staff, operator, supervisor]


@pytest.mark.parametrize("endpoint", ["schools:account_reset_password", "schools:account_deactivate"])
def test_account_endpoints_never_touch_a_stronger_account(client, supervisor, stronger_accounts, endpoint):
    client.force_login(supervisor)
    for user in stronger_accounts:
        before = (user.password, user.is_active)
        assert client.post(reverse(endpoint, args=[user.pk])).status_code == 404, user.username
        user.refresh_from_db()
        assert (user.password, user.is_active) == before, user.username


def test_account_list_hides_stronger_accounts(client, supervisor, stronger_accounts, school_admin):
    client.force_login(supervisor)
    shown = {user.username for user in client.get(reverse("schools:account_list")).context["accounts"]}
    assert school_admin.username in shown
    assert not shown & {user.username for user in stronger_accounts}


def test_account_services_refuse_a_stronger_account(supervisor, stronger_accounts):
    from django.core.exceptions import PermissionDenied

    from schools import services

    for user in stronger_accounts:
        with pytest.raises(PermissionDenied):
            services.school_admin_reset_password(user=user, by=supervisor)
        with pytest.raises(PermissionDenied):
            services.school_admin_deactivate(user=user, by=supervisor)


def test_created_accounts_are_plain_school_admins(client, school, supervisor):
    client.force_login(supervisor)
    create(client, school, is_staff="on", is_superuser="on", groups="1")
    user = get_user_model().objects.get(username="sekolah-baru")
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [SCHOOL_ADMIN_GROUP]


def test_changing_a_password_without_a_required_change_asks_for_the_current_one(client, school_admin):
    school_admin.set_password("lama-sekali-123")
    school_admin.save()
    client.force_login(school_admin)
    url = reverse("schools:password_first")
    assert "old_password" in client.get(url).content.decode()
    stolen = client.post(url, {"new_password1": "punya-penyusup-9", "new_password2": "punya-penyusup-9"})
    assert stolen.status_code == 422
    wrong = client.post(
        url,
        {"old_password": "tebakan", "new_password1": "punya-penyusup-9", "new_password2": "punya-penyusup-9"},
    )
    assert wrong.status_code == 422
    school_admin.refresh_from_db()
    assert school_admin.check_password("lama-sekali-123")
    done = client.post(
        url,
        {"old_password": "lama-sekali-123", "new_password1": "sungai-batang-77", "new_password2": "sungai-batang-77"},
    )
    assert done.status_code == 302
    school_admin.refresh_from_db()
    assert school_admin.check_password("sungai-batang-77")
