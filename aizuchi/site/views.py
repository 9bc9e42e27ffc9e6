from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aizuchi.storefront.selectors import (
    category_list,
    provider_list_featured,
    provider_list_waiting,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "site/home.html",
        {
            "categories": category_list(),
            "waiting": provider_list_waiting(limit=6),
            "featured": provider_list_featured(limit=6),
        },
    )
