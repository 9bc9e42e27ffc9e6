"""Template tags of the reviews and ranks part: accessible stars and the page's review block."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .. import reviews

register = template.Library()


def _number(value) -> str:
    value = Decimal(str(value or 0))
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


@register.simple_tag
def stars(value) -> str:
    """Five stars for people who look and a sentence for people who listen ("5段階中4")."""
    number = Decimal(str(value or 0))
    full = max(0, min(5, int(number.quantize(Decimal("1"), rounding="ROUND_HALF_UP"))))
    # Translators: an accessible star rating, e.g. "5段階中4".
    label = _("%(value)s out of 5") % {"value": _number(number)}
    return format_html(
        '<span class="stars" role="img" aria-label="{}"><span aria-hidden="true">{}</span></span>',
        label,
        "★" * full + "☆" * (5 - full),
    )


@register.simple_tag(takes_context=True)
def provider_reviews(context, provider, limit: int = 5) -> dict:
    """What the public page shows: the latest visible reviews, marked for the viewer."""
    request = context.get("request")
    user = getattr(request, "user", None)
    latest = reviews.reviews_visible(provider_id=provider.pk)
    if user is not None:
        latest = reviews.reviews_with_viewer_report(latest, user=user)
    latest = list(latest[: limit + 1])
    return {"latest": latest[:limit], "more": len(latest) > limit}
