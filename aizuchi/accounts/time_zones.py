"""The time-zone list every form offers: the zones Aizuchi's people mostly live in first,
named in the reader's language (「日本（東京）」), then every other zone by its IANA name."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Japan first, then East Asia and the places Japanese speakers often live or work from.
COMMON_TIME_ZONES: tuple[tuple[str, Promise], ...] = (
    ("Asia/Tokyo", _("Japan (Tokyo)")),
    ("Asia/Seoul", _("South Korea (Seoul)")),
    ("Asia/Taipei", _("Taiwan (Taipei)")),
    ("Asia/Shanghai", _("China (Shanghai)")),
    ("Asia/Hong_Kong", _("Hong Kong")),
    ("Asia/Singapore", _("Singapore")),
    ("Asia/Bangkok", _("Thailand (Bangkok)")),
    ("Asia/Manila", _("Philippines (Manila)")),
    ("Asia/Ho_Chi_Minh", _("Vietnam (Ho Chi Minh City)")),
    ("Australia/Sydney", _("Australia (Sydney)")),
    ("Pacific/Auckland", _("New Zealand (Auckland)")),
    ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
    ("America/Los_Angeles", _("US Pacific (Los Angeles)")),
    ("America/New_York", _("US Eastern (New York)")),
    ("America/Vancouver", _("Canada (Vancouver)")),
    ("Europe/London", _("United Kingdom (London)")),
    ("Europe/Paris", _("France (Paris)")),
    ("Europe/Berlin", _("Germany (Berlin)")),
    ("UTC", _("Coordinated Universal Time (UTC)")),
)


@cache
def time_zone_choices() -> list[tuple[Promise, list[tuple[str, str | Promise]]]]:
    """Grouped choices for a ``<select>``: the common zones, then all the others sorted.

    Every zone ``validate_time_zone`` accepts is offered exactly once, so a saved zone is
    always selectable again. The labels are lazy, so the cached list follows the language.
    """
    available = zoneinfo.available_timezones()
    common = [(name, label) for name, label in COMMON_TIME_ZONES if name in available]
    listed = {name for name, _label in common}
    others: list[tuple[str, str | Promise]] = [
        (name, name.replace("_", " ")) for name in sorted(available - listed)
    ]
    return [(_("Common time zones"), common), (_("All other time zones"), others)]


def time_zone_label(name: str) -> str | Promise:
    """How a saved zone reads on a page: 「日本（東京）」 for a common one, else its name."""
    return dict(COMMON_TIME_ZONES).get(name, name.replace("_", " "))
