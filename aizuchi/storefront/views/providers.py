from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.core.forms import add_service_errors

from ..forms import MAX_PAGE, ProviderOpenForm, ProviderSearchForm
from ..selectors import category_list, provider_get, provider_get_for_owner, provider_search
from ..services import profile as services


@require_GET
def provider_index(request: HttpRequest) -> HttpResponse:
    """Search and listing: a GET form (query, filters, sort, page) and one page of results."""
    categories = category_list()
    form = ProviderSearchForm(request.GET, categories=categories)
    results = None
    if form.is_valid():
        data = form.cleaned_data
        results = provider_search(
            query=data["q"],
            category=data["category"] or None,
            channel=data["channel"] or None,
            price_min=data["price_min"],
            price_max=data["price_max"],
            online=data["online"],
            newcomers=data["newcomers"],
            sort=data["sort"],
            page=data["page"],
        )
        results.has_next = results.has_next and results.number < MAX_PAGE
    return render(
        request,
        "storefront/provider_list.html",
        {
            "form": form,
            "results": results,
            "categories": categories,
            "category": form.cleaned_data.get("category") if form.is_valid() else None,
        },
        status=200 if results is not None else 400,
    )


@require_GET
def provider_detail(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = provider_get(provider_id=provider_id)
    return render(request, "storefront/provider_detail.html", {"provider": provider})


@login_required
@require_http_methods(["GET", "POST"])
def provider_open(request: HttpRequest) -> HttpResponse:
    existing = provider_get_for_owner(user=request.user)
    if existing is not None:
        return redirect("storefront:detail", existing.pk)
    form = ProviderOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_open(
                user=request.user,
                display_name=form.cleaned_data["display_name"],
                concept=form.cleaned_data["concept"],
                category_slugs=form.cleaned_data["categories"],
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("storefront:detail", provider.pk)
    status = 400 if form.errors else 200
    return render(request, "storefront/provider_open.html", {"form": form}, status=status)
