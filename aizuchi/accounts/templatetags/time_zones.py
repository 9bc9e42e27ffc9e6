from django import template

from ..time_zones import time_zone_label

register = template.Library()


@register.filter
def zone_label(name):
    """{{ user.time_zone|zone_label }} → 「日本（東京）」 (or the zone's own name)."""
    return time_zone_label(str(name))
