from __future__ import annotations

import contextlib

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from aizuchi.core.errors import InvalidInput
from aizuchi.core.forms import add_service_errors
from aizuchi.core.redirects import local_path

from . import services
from .forms import FirstRunForm, ProfileForm


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,
            "time_zone": user.time_zone,
            "language": user.language,
            "email_on_message": user.email_on_message,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, **form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, which also signs the person in when the link is
    opened in another browser than the one that signed up (a phone's mail app) and they
    give the account's password there.

    allauth signs in on confirmation only in the browser that signed up. Signing in any
    other browser on the link alone would hand a stranger's account to whoever owns the
    mailbox: someone may sign up with another person's address and a password of their
    own, wait for the owner to click, and share the account from then on. The password
    proves it is the same person; and only the visit that *first* confirms the address
    may sign in, so a link found later (a log, a forwarded mail) never does, nor can it
    be used to guess passwords.
    """

    def post(self, *args, **kwargs) -> HttpResponse:
        confirmation = self.get_object()
        address = confirmation.email_address
        first_time = not EmailAddress.objects.filter(pk=address.pk, verified=True).exists()
        response = super().post(*args, **kwargs)
        user = address.user
        if (
            first_time
            and not self.request.user.is_authenticated
            and user.is_active
            and EmailAddress.objects.filter(pk=address.pk, verified=True).exists()
        ):
            password = self.request.POST.get("password") or ""
            if password and user.check_password(password):
                get_account_adapter(self.request).login(self.request, user)
                return redirect(settings.LOGIN_REDIRECT_URL)
            messages.info(self.request, _("Your address is confirmed. Please log in."))
            return redirect("account_login")
        return response


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """The first-run step (FirstRunMiddleware sends nameless accounts here)."""
    user = request.user
    next_path = local_path(request, request.POST.get("next") or request.GET.get("next"))
    if not services.needs_first_run(user):
        return redirect(next_path or "site:home")
    form = FirstRunForm(request.POST or None, initial={"time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_first_run(user=user, **form.cleaned_data)
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Welcome, %(name)s. You are all set.") % {"name": user.display_name}
            )
            return redirect(next_path or "site:home")
    status = 400 if form.errors else 200
    return render(
        request, "accounts/welcome.html", {"form": form, "next": next_path or ""}, status=status
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered on the account for signed-in people."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        # Django's view below ignores unknown languages the same way.
        with contextlib.suppress(InvalidInput):
            services.user_set_language(user=request.user, language=language)
    # Back to the page the switch was on, only if that is a page of this site; without
    # one, Django's view goes back to the (checked) referring page.
    posted = request.POST.copy()
    posted["next"] = local_path(request, posted.get("next")) or ""
    request.POST = posted
    return django_set_language(request)
