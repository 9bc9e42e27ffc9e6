"""The provider's blog: Markdown in, sanitised HTML out, drafts private to the owner.

Markdown is rendered with markdown-it-py (CommonMark, raw HTML off, linkify off) and the
result is passed through nh3 with an explicit allowlist, once, when a post is saved; pages
show the stored ``body_html``. Every change refreshes the provider's search document in
the same transaction, because published posts are searchable.
"""

from __future__ import annotations

import nh3
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.core.models import max_length

from ..models import BlogPost, Provider
from ..strings import POST_NOT_FOUND
from .search import search_document_refresh

TITLE_MAX = max_length(BlogPost, "title")  # 100
BODY_MAX = max_length(BlogPost, "body")  # 20,000

TITLE_REQUIRED = _("Give the post a title.")
TITLE_TOO_LONG = _("The title can be at most 100 characters.")
BODY_REQUIRED = _("Write something in the post.")
BODY_TOO_LONG = _("The post can be at most 20,000 characters.")


# --- Rendering ---------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "em",
        "strong",
        "a",
        "hr",
        "br",
    }
)
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener ugc"

# Raw HTML stays text; images are not a thing in posts, so ![alt](url) reads as a link.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def _only_digits(tag: str, attribute: str, value: str) -> str | None:
    if tag == "ol" and attribute == "start":
        return value if value.isdigit() and len(value) <= 9 else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    attribute_filter=_only_digits,
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitize_html(fragment: str) -> str:
    """Keep only the allowlisted tags, attributes and URL schemes of ``fragment``."""
    return _cleaner.clean(fragment)


def render_markdown(text: str) -> str:
    """Markdown → safe HTML. Headings start at h2 (the page owns h1) and stop at h4."""
    tokens = _markdown.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(max(level + 1, 2), 4)}"
    return sanitize_html(_markdown.renderer.render(tokens, _markdown.options, {}))


# --- Services ----------------------------------------------------------------------------


def normalize_newlines(text: str) -> str:
    """Browsers send CRLF from text areas; a line break counts as one character."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    body = normalize_newlines(body or "").strip("\n")
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [TITLE_REQUIRED]
    elif len(title) > TITLE_MAX:
        errors["title"] = [TITLE_TOO_LONG]
    if not body.strip():
        errors["body"] = [BODY_REQUIRED]
    elif len(body) > BODY_MAX:
        errors["body"] = [BODY_TOO_LONG]
    if errors:
        raise InvalidInput(errors)
    return title, body


def _owned_post_for_update(*, provider: Provider, post_id: int) -> BlogPost:
    try:
        return BlogPost.objects.select_for_update().get(pk=post_id, provider_id=provider.pk)
    except (BlogPost.DoesNotExist, ValueError, TypeError):
        raise NotFound(POST_NOT_FOUND) from None


def _apply_published(post: BlogPost, published: bool, now) -> None:
    post.is_published = published
    if published and post.published_at is None:
        post.published_at = now  # the first publication dates the post, for good


def post_create(*, provider: Provider, title: str, body: str, publish: bool = False) -> BlogPost:
    """Write a new post in ``provider``'s blog, as a draft unless ``publish``."""
    title, body = _clean(title, body)
    now = timezone.now()
    post = BlogPost(
        provider=provider,
        title=title,
        body=body,
        body_html=render_markdown(body),
        created_at=now,
        updated_at=now,
    )
    _apply_published(post, publish, now)
    with transaction.atomic():
        post.save()
        search_document_refresh(provider_id=provider.pk)
    return post


def post_update(
    *,
    provider: Provider,
    post_id: int,
    title: str,
    body: str,
    publish: bool | None = None,
) -> BlogPost:
    """Change one of ``provider``'s own posts; ``publish`` None leaves its state alone."""
    title, body = _clean(title, body)
    body_html = render_markdown(body)
    with transaction.atomic():
        post = _owned_post_for_update(provider=provider, post_id=post_id)
        now = timezone.now()
        post.title, post.body, post.body_html, post.updated_at = title, body, body_html, now
        if publish is not None:
            _apply_published(post, publish, now)
        post.save()
        search_document_refresh(provider_id=provider.pk)
    return post


def post_set_published(*, provider: Provider, post_id: int, published: bool) -> BlogPost:
    """Publish or take back one of ``provider``'s own posts."""
    with transaction.atomic():
        post = _owned_post_for_update(provider=provider, post_id=post_id)
        now = timezone.now()
        _apply_published(post, published, now)
        post.updated_at = now
        post.save(update_fields=["is_published", "published_at", "updated_at"])
        search_document_refresh(provider_id=provider.pk)
    return post


def post_delete(*, provider: Provider, post_id: int) -> None:
    """Delete one of ``provider``'s own posts."""
    with transaction.atomic():
        post = _owned_post_for_update(provider=provider, post_id=post_id)
        post.delete()
        search_document_refresh(provider_id=provider.pk)
