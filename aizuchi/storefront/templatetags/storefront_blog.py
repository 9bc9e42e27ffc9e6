"""Blog data for the public provider page.

{% load storefront_blog %}
{% latest_blog_posts provider as posts %}   the newest three published posts
"""

from __future__ import annotations

from django import template

from ..selectors import blog

register = template.Library()


@register.simple_tag
def latest_blog_posts(provider, limit: int = 3) -> list:
    return blog.post_latest(provider_id=provider.pk, limit=limit)
