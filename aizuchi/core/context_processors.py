from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.notifications.selectors import notification_unread_count
from aizuchi.storefront.selectors import provider_for_owner


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell (navigation, badges) needs on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_unread_count": notification_unread_count(user=user),
        "nav_provider": provider_for_owner(user=user),
    }
