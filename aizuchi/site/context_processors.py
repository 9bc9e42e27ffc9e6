from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from aizuchi.messaging.selectors import unread_total
from aizuchi.notifications.selectors import notification_unread_count
from aizuchi.storefront.selectors import provider_get_for_owner

# The provider's own area: (key, label, URL name) in the order the navigation shows them.
# Each domain's pages there use storefront's ``provider_area(key)`` decorator; the list of
# sections names every domain's page, so it lives here at the top.
MANAGE_SECTIONS = [
    ("console", _("Standby now"), "live:console"),
    ("messages", _("Messages"), "messaging:provider_inbox"),
    ("customers", _("Customers"), "crm:list"),
    ("profile", _("Profile"), "storefront:manage_profile"),
    ("media", _("Photos, videos and voice"), "storefront:manage_media"),
    ("offerings", _("Prices and terms"), "storefront:manage_offerings"),
    ("standby", _("Standby plan"), "storefront:manage_standby"),
    ("bookings", _("Reservations"), "booking:manage"),
    ("events", _("Events"), "events:manage_list"),
    ("access", _("Who may connect"), "access:policy"),
    ("blog", _("Blog"), "storefront:manage_blog"),
    ("reviews", _("Reviews"), "reputation:manage_reviews"),
    ("earnings", _("Earnings and payouts"), "billing:earnings"),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell (navigation, badges) needs on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_unread_count": notification_unread_count(user=user),
        "nav_messages_unread": unread_total(user=user),
        "nav_provider": provider_get_for_owner(user=user),
        "manage_sections": MANAGE_SECTIONS,
    }
