"""The provider's state switch as a plain form (the standby page also switches over its
socket)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aizuchi.core.errors import InvalidInput
from aizuchi.core.redirects import redirect_local
from aizuchi.storefront.area import provider_area
from aizuchi.storefront.models import PresenceState

from .services import presence_set

STATE_SAVED = _("You are now: %(state)s.")


@require_POST
@provider_area("console")
def state_set(request: HttpRequest, *, provider) -> HttpResponse:
    try:
        presence_set(provider=provider, state=request.POST.get("state"))
    except InvalidInput as exc:
        messages.error(request, exc.errors["state"][0])
    else:
        label = PresenceState(provider.presence_state).label
        messages.success(request, STATE_SAVED % {"state": label})
    # Back where the form came from (a page of this site), else the provider's own page.
    return redirect_local(request, request.POST.get("next"), fallback=provider.get_absolute_url())
