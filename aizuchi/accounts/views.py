from __future__ import annotations

import contextlib

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
from .forms import ProfileForm


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
