from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from aizuchi.core.errors import Conflict
from aizuchi.core.redirects import redirect_local

from ..selectors import favourites as favourite_reads
from ..selectors import provider_get
from ..services import favourites


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_http_methods(["GET", "POST"])
def favourite_toggle(request: HttpRequest, provider_id: int) -> HttpResponse:
    """POST favourite=1 adds, favourite=0 removes. Works as a plain form and with htmx."""
    detail_url = reverse("storefront:detail", args=[provider_id])
    if not request.user.is_authenticated:
        # Log in, then come back to the provider's page (not to this POST-only address).
        login_url = f"{reverse('account_login')}?{urlencode({'next': detail_url})}"
        if _is_htmx(request):
            return HttpResponse(status=204, headers={"HX-Redirect": login_url})
        return redirect(login_url)
    if request.method == "GET":
        return redirect(detail_url)

    provider = provider_get(provider_id=provider_id)
    error, status = None, 200
    try:
        if request.POST.get("favourite") == "1":
            favourites.favourite_add(customer=request.user, provider_id=provider.pk)
        else:
            favourites.favourite_remove(customer=request.user, provider_id=provider.pk)
    except Conflict as exc:
        error, status = exc.message, 400

    if _is_htmx(request):
        return render(
            request,
            "storefront/detail/_favourite.html",
            {"provider": provider, "favourite_error": error},
            status=status,
        )
    if error:
        return render(
            request,
            "storefront/favourites/refused.html",
            {"provider": provider, "message": error},
            status=status,
        )
    return redirect_local(request, request.POST.get("next"), fallback=detail_url)


@login_required
@require_GET
def favourite_list(request: HttpRequest) -> HttpResponse:
    page = favourite_reads.favourite_list(customer=request.user, page=request.GET.get("page"))
    return render(request, "storefront/favourites/list.html", {"page": page})
