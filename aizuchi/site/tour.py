"""The main pages of Aizuchi as each kind of visitor sees them, on the demo data.

One list for two uses: the browser test that walks every page in Japanese and fails on an
untranslated word (aizuchi/site/tests/test_browser_japanese.py), and the screenshot tour
(`make screenshots`, scripts/screenshots.py). Paths are worked out from the database after
`seed_demo`, so they name real storefronts, sessions and bookings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from aizuchi.booking.models import Booking
from aizuchi.live.models import Session
from aizuchi.site import demo
from aizuchi.storefront.models import BlogPost, Provider

ANONYMOUS, CUSTOMER, PROVIDER, STAFF = "anonymous", "customer", "provider", "staff"
EMAILS = {
    CUSTOMER: demo.DEMO_LOGINS[0].email,
    PROVIDER: demo.DEMO_LOGINS[1].email,
    STAFF: demo.DEMO_LOGINS[2].email,
}


@dataclass(frozen=True)
class Stop:
    name: str  # also the screenshot's file name
    who: str
    path: str


def stops() -> list[Stop]:
    """Every stop of the tour (needs the demo data: `seed_demo`)."""
    listener = Provider.objects.get(user__email=EMAILS[PROVIDER])
    post = BlogPost.objects.filter(provider=listener, is_published=True).first()
    session = (
        Session.objects.filter(customer__email=EMAILS[CUSTOMER], provider=listener)
        .order_by("-ended_at")
        .first()
    )
    booking = Booking.objects.filter(customer__email=EMAILS[CUSTOMER]).first()
    tour = [
        Stop("home", ANONYMOUS, reverse("site:home")),
        Stop("providers", ANONYMOUS, reverse("storefront:index")),
        Stop("ranking", ANONYMOUS, reverse("storefront:ranking")),
        Stop("storefront", ANONYMOUS, reverse("storefront:detail", args=[listener.pk])),
        Stop("reviews", ANONYMOUS, reverse("reputation:reviews", args=[listener.pk])),
        Stop("blog", ANONYMOUS, reverse("storefront:blog", args=[listener.pk])),
        Stop("signup", ANONYMOUS, reverse("account_signup")),
        Stop("login", ANONYMOUS, reverse("account_login")),
        Stop("password-reset", ANONYMOUS, reverse("account_reset_password")),
        Stop("terms", ANONYMOUS, reverse("site:terms")),
        Stop("privacy", ANONYMOUS, reverse("site:privacy")),
        Stop("home-signed-in", CUSTOMER, reverse("site:home")),
        Stop("storefront-customer", CUSTOMER, reverse("storefront:detail", args=[listener.pk])),
        Stop("sessions", CUSTOMER, reverse("live:sessions")),
        Stop("bookings", CUSTOMER, reverse("booking:mine")),
        Stop("wallet", CUSTOMER, reverse("billing:wallet")),
        Stop("invoices", CUSTOMER, reverse("billing:invoices")),
        Stop("messages", CUSTOMER, reverse("messaging:inbox")),
        Stop("notifications", CUSTOMER, reverse("notifications:inbox")),
        Stop("favourites", CUSTOMER, reverse("storefront:favourites")),
        Stop("profile", CUSTOMER, reverse("accounts:profile")),
        Stop("password-change", CUSTOMER, reverse("account_change_password")),
        Stop("emails", CUSTOMER, reverse("account_email")),
        Stop("console", PROVIDER, reverse("live:console")),
        Stop("manage-profile", PROVIDER, reverse("storefront:manage_profile")),
        Stop("manage-offerings", PROVIDER, reverse("storefront:manage_offerings")),
        Stop("manage-media", PROVIDER, reverse("storefront:manage_media")),
        Stop("manage-reviews", PROVIDER, reverse("reputation:manage_reviews")),
        Stop("booking-manage", PROVIDER, reverse("booking:manage")),
        Stop("earnings", PROVIDER, reverse("billing:earnings")),
        Stop("messages-provider", PROVIDER, reverse("messaging:provider_inbox")),
        Stop("staff-billing", STAFF, reverse("billing:staff")),
    ]
    if post is not None:
        tour.append(
            Stop(
                "blog-post", ANONYMOUS, reverse("storefront:blog_post", args=[listener.pk, post.pk])
            )
        )
    if session is not None:
        tour.append(Stop("session-summary", CUSTOMER, reverse("live:summary", args=[session.pk])))
    if booking is not None:
        tour.append(Stop("booking", CUSTOMER, reverse("booking:detail", args=[booking.pk])))
    return tour


# --- Untranslated words ------------------------------------------------------------------

# Latin-script words that belong on a Japanese page: the product, names of things that have
# no Japanese name, and what the demo data itself contains.
ALLOWED_WORDS = frozenset(
    {
        "aizuchi",
        "english",  # the language switch names each language in itself
        "hsp",
        "youtube",
        "vimeo",
        "csv",
        "ics",
        "url",
        "pdf",
        "wav",
        "mp3",
        "webp",
        "jpeg",
        "png",
        "ogg",
        "vtuber",
        "webm",
        "cookie",  # written so in Japanese privacy policies
        "es",  # ES添削 (entry sheets)
        "example",  # demo e-mail addresses
        "demo",
        "google",  # calendar apps, named as their makers name them
        "apple",
        "outlook",
    }
)
# E-mail addresses, URLs, demo customer handles (yuki_0312), time-zone names
# (Asia/Tokyo) and document numbers (INV-000012) are data, not UI words.
_DATA = re.compile(
    r"\S+@\S+|https?://\S+|\b[a-z]+_\d+\b|\b[A-Z][A-Za-z_]+(?:/[A-Za-z_+-]+)+|\b[A-Z]{2,}-\d+"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")


def untranslated_words(text: str) -> list[str]:
    """Latin-script words of three or more letters in ``text`` that a Japanese page should
    not show (an English UI word that was never translated)."""
    text = _DATA.sub(" ", text)
    return [word for word in _WORD.findall(text) if word.lower() not in ALLOWED_WORDS]
