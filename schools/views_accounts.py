"""School admin accounts, managed by Dukcapil supervisors from the app; the first-login password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from schools import selectors, services
from schools.forms import FirstPasswordForm, OwnPasswordChangeForm, SchoolAdminCreateForm
from schools.middleware import SESSION_KEY
from schools.permissions import can_manage_school_admins


def _require_manager(user) -> None:
    if not can_manage_school_admins(user):
        raise PermissionDenied


def _account_or_404(pk: int):
    return get_object_or_404(selectors.school_admin_accounts(), pk=pk)


def _password_page(request, *, account, password: str, created: bool):
    """The one-time password, shown once: never stored, never cached."""
    response = render(
        request,
        "schools/account_password.html",
        {"account": account, "password": password, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def account_list(request):
    _require_manager(request.user)
    accounts = selectors.school_admin_accounts()
    return render(request, "schools/account_list.html", {"accounts": accounts})


@login_required
@never_cache
@sensitive_post_parameters()
def account_create(request):
    _require_manager(request.user)
    form = SchoolAdminCreateForm(request.POST or None, initial={"school": request.GET.get("sekolah")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, password = services.school_admin_create(
            school=data["school"],
            username=data["username"],
            full_name=data["full_name"],
            phone=data["phone"],
            email=data["email"],
            by=request.user,
        )
        return _password_page(request, account=user, password=password, created=True)
    return render(request, "schools/account_form.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_POST
@never_cache
def account_reset_password(request, pk: int):
    _require_manager(request.user)
    account = _account_or_404(pk)
    password = services.school_admin_reset_password(user=account, by=request.user)
    return _password_page(request, account=account, password=password, created=False)


@login_required
@require_POST
def account_deactivate(request, pk: int):
    _require_manager(request.user)
    account = _account_or_404(pk)
    services.school_admin_deactivate(user=account, by=request.user)
    messages.success(
        request, _("Akun %(username)s dinonaktifkan; sesi yang masuk sudah diakhiri.") % {"username": account.username}
    )
    return redirect("schools:account_list")


@login_required
@never_cache
@sensitive_post_parameters()
def password_first(request):
    """Set one's own password. Only a session that must change it (after logging in with a
    one-time password) may skip the current one; every other change asks for it."""
    required = bool(request.session.get(SESSION_KEY, [None, False])[1])
    form_class = FirstPasswordForm if required else OwnPasswordChangeForm
    form = form_class(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.account_password_changed(user=user)
        request.session[SESSION_KEY] = [user.pk, False]
        messages.success(request, _("Kata sandi baru tersimpan."))
        return redirect("home")
    return render(
        request,
        "schools/password_first.html",
        {"form": form, "required": required, "user_model": get_user_model()},
        status=422 if form.errors else 200,
    )
