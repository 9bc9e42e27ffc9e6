from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.storefront.models import BlogPost, SearchDocument
from aizuchi.storefront.selectors import blog as blog_reads
from aizuchi.storefront.selectors.query import normalize
from aizuchi.storefront.services import blog

from .factories import BlogPostFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def _search_text(provider) -> str:
    document = SearchDocument.objects.filter(provider_id=provider.pk).first()
    return document.text if document else ""


def _snapshot(post_id: int) -> dict:
    return BlogPost.objects.filter(pk=post_id).values().get()


def test_create_a_draft_renders_once_and_stays_out_of_search():
    provider = ProviderFactory()
    post = blog.post_create(
        provider=provider, title=" 初めての投稿 ", body="**傾聴**の話\r\n\r\n二段落目"
    )
    post.refresh_from_db()
    assert post.title == "初めての投稿"
    assert post.body == "**傾聴**の話\n\n二段落目"
    assert post.body_html == "<p><strong>傾聴</strong>の話</p>\n<p>二段落目</p>\n"
    assert (post.is_published, post.published_at) == (False, None)
    assert normalize("初めての投稿") not in _search_text(provider)


def test_publishing_dates_the_post_once_and_makes_it_searchable():
    provider = ProviderFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post = blog.post_create(provider=provider, title="夜の傾聴", body="本文です")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        post = blog.post_set_published(provider=provider, post_id=post.pk, published=True)
    first = post.published_at
    assert first == start + timedelta(days=1)
    assert normalize("夜の傾聴") in _search_text(provider)

    with time_machine.travel(start + timedelta(days=2), tick=False):
        post = blog.post_set_published(provider=provider, post_id=post.pk, published=False)
    assert (post.is_published, post.published_at) == (False, first)
    assert normalize("夜の傾聴") not in _search_text(provider)

    with time_machine.travel(start + timedelta(days=3), tick=False):
        post = blog.post_set_published(provider=provider, post_id=post.pk, published=True)
        post = blog.post_update(provider=provider, post_id=post.pk, title="夜の傾聴 改", body="x")
    post.refresh_from_db()
    assert post.is_published  # publish=None leaves the state alone
    assert post.published_at == first  # the first publication dates the post for good
    assert post.updated_at == start + timedelta(days=3)


def test_create_published_and_update_refresh_search_and_html():
    provider = ProviderFactory()
    post = blog.post_create(provider=provider, title="恋愛相談", body="最初", publish=True)
    assert post.published_at is not None
    assert normalize("恋愛相談") in _search_text(provider)
    blog.post_update(provider=provider, post_id=post.pk, title="仕事の悩み", body="## 見出し")
    post.refresh_from_db()
    assert post.body_html == "<h3>見出し</h3>\n"
    text = _search_text(provider)
    assert normalize("仕事の悩み") in text
    assert normalize("恋愛相談") not in text


def test_delete_removes_the_post_from_search():
    provider = ProviderFactory()
    post = blog.post_create(provider=provider, title="消える投稿", body="x", publish=True)
    blog.post_delete(provider=provider, post_id=post.pk)
    assert not BlogPost.objects.filter(pk=post.pk).exists()
    assert normalize("消える投稿") not in _search_text(provider)


@pytest.mark.parametrize(
    ("title", "body", "field", "message"),
    [
        ("", "body", "title", blog.TITLE_REQUIRED),
        ("   ", "body", "title", blog.TITLE_REQUIRED),
        ("あ" * 101, "body", "title", blog.TITLE_TOO_LONG),
        ("title", "", "body", blog.BODY_REQUIRED),
        ("title", " \n\n ", "body", blog.BODY_REQUIRED),
        ("title", "あ" * 20001, "body", blog.BODY_TOO_LONG),
    ],
)
def test_limits_are_field_errors_and_nothing_is_saved(title, body, field, message):
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as caught:
        blog.post_create(provider=provider, title=title, body=body)
    assert caught.value.errors[field] == [message]
    assert not BlogPost.objects.exists()

    post = BlogPostFactory(provider=provider)
    before = _snapshot(post.pk)
    with pytest.raises(InvalidInput) as caught:
        blog.post_update(provider=provider, post_id=post.pk, title=title, body=body)
    assert caught.value.errors[field] == [message]
    assert _snapshot(post.pk) == before


def test_the_limits_themselves_are_allowed():
    provider = ProviderFactory()
    post = blog.post_create(provider=provider, title="あ" * 100, body="い" * 20000)
    assert len(post.title) == 100
    assert len(post.body) == 20000
    # CRLF from a browser counts as one character per line break.
    post = blog.post_create(provider=provider, title="t", body="abc\r\n" * 4999 + "abcd")
    assert len(post.body) == 20000


ACTIONS = {
    "update": lambda provider, post_id: blog.post_update(
        provider=provider, post_id=post_id, title="乗っ取り", body="x", publish=True
    ),
    "publish": lambda provider, post_id: blog.post_set_published(
        provider=provider, post_id=post_id, published=True
    ),
    "unpublish": lambda provider, post_id: blog.post_set_published(
        provider=provider, post_id=post_id, published=False
    ),
    "delete": lambda provider, post_id: blog.post_delete(provider=provider, post_id=post_id),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("published", [True, False])
def test_no_one_touches_another_providers_post(action, published):
    owner_post = BlogPostFactory(
        is_published=published, published_at=timezone.now() if published else None
    )
    intruder = ProviderFactory()
    before = _snapshot(owner_post.pk)
    with pytest.raises(NotFound):
        ACTIONS[action](intruder, owner_post.pk)
    assert _snapshot(owner_post.pk) == before
    assert not BlogPost.objects.filter(provider=intruder).exists()


@pytest.mark.parametrize("action", ACTIONS)
def test_a_missing_post_is_not_found(action):
    with pytest.raises(NotFound):
        ACTIONS[action](ProviderFactory(), 999999)


def test_owner_list_shows_drafts_first_then_newest():
    provider = ProviderFactory()
    now = timezone.now()
    old = BlogPostFactory(provider=provider, published_at=now - timedelta(days=2))
    new = BlogPostFactory(provider=provider, published_at=now - timedelta(days=1))
    draft = BlogPostFactory(provider=provider, is_published=False, published_at=None)
    BlogPostFactory()  # someone else's
    assert list(blog_reads.post_list_for_owner(provider=provider)) == [draft, new, old]


def test_public_selectors_show_only_published_newest_first():
    provider = ProviderFactory()
    now = timezone.now()
    posts = [
        BlogPostFactory(provider=provider, published_at=now - timedelta(hours=i)) for i in range(12)
    ]
    BlogPostFactory(provider=provider, is_published=False, published_at=None)
    # Unpublished after having been published: keeps its date, still hidden.
    BlogPostFactory(provider=provider, is_published=False, published_at=now)
    page = blog_reads.post_page_published(provider_id=provider.pk, page=1)
    assert list(page.object_list) == posts[:10]
    assert page.object_list[0].excerpt.startswith("今日は傾聴について。")
    assert (
        list(blog_reads.post_page_published(provider_id=provider.pk, page=2).object_list)
        == posts[10:]
    )
    assert blog_reads.post_latest(provider_id=provider.pk) == posts[:3]
