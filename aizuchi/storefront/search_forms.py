"""The search and listing form (GET /providers/)."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Offering

SORTS = (
    ("recommended", _("Recommended")),
    ("rank", _("Rank")),
    ("rating", _("Rating")),
    ("price", _("Price (lowest first)")),
    ("newest", _("Newest")),
)
PRICE_LIMIT = 100_000  # yen per minute; anything above is a typing mistake
QUERY_MAX = 100
MAX_PAGE = 100  # 2,000 results; past that, narrow the search


class SearchText(forms.CharField):
    """Free text where control characters (a pasted NUL, a tab) are just spaces."""

    def to_python(self, value):
        value = super().to_python(value)
        return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)


class ProviderSearchForm(forms.Form):
    q = SearchText(
        label=_("Search"),
        required=False,
        max_length=QUERY_MAX,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("e.g. 恋愛, 仕事, 傾聴"),
                "enterkeyhint": "search",
            }
        ),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Voice or chat")), *Offering.Channel.choices],
    )
    price_min = forms.IntegerField(
        label=_("From (yen/min)"), required=False, min_value=1, max_value=PRICE_LIMIT
    )
    price_max = forms.IntegerField(
        label=_("To (yen/min)"), required=False, min_value=1, max_value=PRICE_LIMIT
    )
    online = forms.BooleanField(label=_("Online now"), required=False)
    newcomers = forms.BooleanField(label=_("Accepting newcomers now"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)
    # Past MAX_PAGE the page is MAX_PAGE (deep offsets cost; nobody reads that far).
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category.slug, category.name) for category in categories
        ]
        for name in ("price_min", "price_max"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "placeholder": "¥"})

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest."))
        data["sort"] = data.get("sort") or "recommended"
        data["page"] = min(data.get("page") or 1, MAX_PAGE)
        return data
