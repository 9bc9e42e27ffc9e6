"""The provider's blog: Markdown in, sanitised HTML out, drafts private to the owner.

Markdown is rendered with markdown-it-py (CommonMark, raw HTML off, linkify off) and the
result is passed through nh3 with an explicit allowlist, once, when a post is saved; pages
show the stored ``body_html``. Every change refreshes the provider's search document in
the same transaction, because published posts are searchable.
"""

from __future__ import annotations

import html
import re

import nh3
from django import forms
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from markdown_it import MarkdownIt

from aizuchi.core.errors import InvalidInput, NotFound

from .models import BlogPost, Provider
from .search import search_document_refresh

TITLE_MAX = BlogPost._meta.get_field("title").max_length  # 100
BODY_MAX = BlogPost._meta.get_field("body").max_length  # 20,000
EXCERPT_CHARS = 140
PAGE_SIZE = 10

TITLE_REQUIRED = _("Give the post a title.")
TITLE_TOO_LONG = _("The title can be at most 100 characters.")
BODY_REQUIRED = _("Write something in the post.")
BODY_TOO_LONG = _("The post can be at most 20,000 characters.")
POST_NOT_FOUND = _("That post does not exist.")


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


_SPACE = re.compile(r"\s+")


def excerpt(body_html: str, *, chars: int = EXCERPT_CHARS) -> str:
    """Plain text at the start of a rendered post, for lists."""
    text = _SPACE.sub(" ", html.unescape(strip_tags(body_html))).strip()
    return Truncator(text).chars(chars)


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


# --- Form --------------------------------------------------------------------------------


class BlogPostForm(forms.Form):
    """The editor. Limits are checked here for the page and again by the services."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={"required": TITLE_REQUIRED, "max_length": TITLE_TOO_LONG},
    )
    body = forms.CharField(
        label=_("Post (Markdown)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "maxlength": BODY_MAX}),
        help_text=_(
            "Markdown: blank line between paragraphs, ## heading, **bold**, *italic*, "
            "- list, > quote, [link](https://…). No images or HTML."
        ),
        error_messages={"required": BODY_REQUIRED},
    )
    publish = forms.BooleanField(label=_("Published (visible on your page)"), required=False)

    def clean_body(self) -> str:
        body = normalize_newlines(self.cleaned_data["body"])
        if not body.strip():
            raise forms.ValidationError(BODY_REQUIRED, code="required")
        if len(body.strip("\n")) > BODY_MAX:
            raise forms.ValidationError(BODY_TOO_LONG, code="max_length")
        return body
