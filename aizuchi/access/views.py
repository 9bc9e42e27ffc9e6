"""The provider's page of who may connect (their access policy)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from aizuchi.core.forms import submit_form
from aizuchi.storefront.area import provider_area, render_manage

from .forms import AccessPolicyForm
from .policy import access_policy_for
from .selectors import missed_newcomers_for_provider
from .services import access_policy_set

POLICY_SAVED = _("Who may connect is saved.")


@require_http_methods(["GET", "POST"])
@provider_area("access")
def policy(request: HttpRequest, *, provider) -> HttpResponse:
    form = AccessPolicyForm(request.POST or None, instance=access_policy_for(provider=provider))
    if request.method == "POST":
        saved = submit_form(form, lambda data: access_policy_set(provider=provider, **data))
        if saved is not None:
            messages.success(request, POLICY_SAVED)
            return redirect("access:policy")
    return render_manage(
        request,
        "access/policy.html",
        {"form": form, "missed": missed_newcomers_for_provider(provider=provider, limit=20)},
        status=400 if form.errors else 200,
    )
