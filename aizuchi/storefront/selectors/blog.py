"""The provider's blog: Markdown in, sanitised HTML out, drafts private to the owner.

Markdown is rendered with markdown-it-py (CommonMark, raw HTML off, linkify off) and the
result is passed through nh3 with an explicit allowlist, once, when a post is saved; pages
show the stored ``body_html``. Every change refreshes the provider's search document in
the same transaction, because published posts are searchable.
"""

from __future__ import annotations

import html
import re

from django.core.paginator import Page, Paginator
from django.db.models import F, QuerySet
from django.utils.html import strip_tags
from django.utils.text import Truncator

from aizuchi.core.errors import NotFound

from ..models import BlogPost, Provider
from ..strings import POST_NOT_FOUND

_SPACE = re.compile(r"\s+")

EXCERPT_CHARS = 140
PAGE_SIZE = 10


# --- Rendering ---------------------------------------------------------------------------


def excerpt(body_html: str, *, chars: int = EXCERPT_CHARS) -> str:
    """Plain text at the start of a rendered post, for lists."""
    text = _SPACE.sub(" ", html.unescape(strip_tags(body_html))).strip()
    return Truncator(text).chars(chars)


# --- Selectors ---------------------------------------------------------------------------


def _with_excerpts(posts) -> list[BlogPost]:
    posts = list(posts)
    for post in posts:
        post.excerpt = excerpt(post.body_html)
    return posts


def _published(provider_id: int) -> QuerySet[BlogPost]:
    return (
        BlogPost.objects.filter(provider_id=provider_id, is_published=True)
        .defer("body")
        .order_by("-published_at", "-id")
    )


def post_page_published(*, provider_id: int, page: str | int | None) -> Page:
    """A page of a provider's published posts, newest first, each with ``excerpt``."""
    result = Paginator(_published(provider_id), PAGE_SIZE).get_page(page)
    result.object_list = _with_excerpts(result.object_list)
    return result


def post_latest(*, provider_id: int, limit: int = 3) -> list[BlogPost]:
    """The newest published posts of a provider, each with ``excerpt``."""
    return _with_excerpts(_published(provider_id)[:limit])


def post_get_visible(*, provider: Provider, post_id: int, viewer) -> BlogPost:
    """One post under ``provider``'s page: published, or a draft its owner is looking at."""
    is_owner = getattr(viewer, "is_authenticated", False) and viewer.pk == provider.user_id
    posts = BlogPost.objects.filter(provider_id=provider.pk)
    if not is_owner:
        posts = posts.filter(is_published=True)
    try:
        return posts.get(pk=post_id)
    except BlogPost.DoesNotExist:
        raise NotFound(POST_NOT_FOUND) from None


def post_list_for_owner(*, provider: Provider) -> QuerySet[BlogPost]:
    """All of a provider's posts for their own area: drafts first, then newest published."""
    return (
        BlogPost.objects.filter(provider_id=provider.pk)
        .defer("body", "body_html")
        .order_by(F("published_at").desc(nulls_first=True), "-id")
    )


def post_get_for_owner(*, provider: Provider, post_id: int) -> BlogPost:
    try:
        return BlogPost.objects.get(pk=post_id, provider_id=provider.pk)
    except BlogPost.DoesNotExist:
        raise NotFound(POST_NOT_FOUND) from None
