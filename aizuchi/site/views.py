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


def _legal(request: HttpRequest, name: str) -> HttpResponse:
    # Legal text is written whole in each language rather than translated sentence by
    # sentence: site/<name>_ja.html, site/<name>_en.html.
    language = "ja" if request.LANGUAGE_CODE == "ja" else "en"
    return render(request, f"site/{name}_{language}.html")


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return _legal(request, "terms")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return _legal(request, "privacy")
