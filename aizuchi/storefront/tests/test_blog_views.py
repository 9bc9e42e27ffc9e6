from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.storefront.models import BlogPost
from aizuchi.storefront.selectors import blog as blog_reads
from aizuchi.storefront.services import blog

from .factories import BlogPostFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return ProviderFactory(user=UserFactory(language="en"))


def _draft(provider, **kwargs):
    return BlogPostFactory(provider=provider, is_published=False, published_at=None, **kwargs)


def _snapshot(post_id: int) -> dict:
    return BlogPost.objects.filter(pk=post_id).values().get()


# --- Public pages ------------------------------------------------------------------------


def test_public_list_shows_published_posts_newest_first_with_excerpts(client, owner):
    now = timezone.now()
    older = BlogPostFactory(provider=owner, title="古い投稿", published_at=now - timedelta(days=1))
    newer = BlogPostFactory(provider=owner, title="新しい投稿", published_at=now)
    _draft(owner, title="下書きの投稿")
    BlogPostFactory(title="他人の投稿")
    page = client.get(reverse("storefront:blog", args=[owner.pk])).content.decode()
    assert page.index(newer.title) < page.index(older.title)
    assert "今日は傾聴について。" in page  # excerpt as plain text
    assert "下書きの投稿" not in page
    assert "他人の投稿" not in page


def test_public_list_is_paginated(client, owner):
    now = timezone.now()
    for i in range(blog_reads.PAGE_SIZE + 2):
        BlogPostFactory(provider=owner, title=f"投稿{i:02d}", published_at=now - timedelta(hours=i))
    url = reverse("storefront:blog", args=[owner.pk])
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert "投稿00" in first
    assert "投稿09" in first
    assert "投稿10" not in first
    assert "投稿10" in second
    assert "投稿11" in second
    assert "投稿00" not in second
    assert client.get(url, {"page": "nonsense"}).status_code == 200


def test_blog_of_an_unknown_provider_is_404(client):
    assert client.get(reverse("storefront:blog", args=[999999])).status_code == 404
    assert client.get(reverse("storefront:blog_post", args=[999999, 1])).status_code == 404


def test_post_page_shows_the_sanitised_body(client, owner):
    post = BlogPostFactory(provider=owner, body="## 見出し\n\n[link](javascript:alert(1))")
    response = client.get(reverse("storefront:blog_post", args=[owner.pk, post.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h3>見出し</h3>" in page
    assert 'href="javascript' not in page


def test_drafts_are_visible_only_to_their_owner(client, owner):
    draft = _draft(owner, title="秘密の下書き")
    url = reverse("storefront:blog_post", args=[owner.pk, draft.pk])
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(ProviderFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(owner.user)
    response = client.get(url)
    assert response.status_code == 200
    assert "秘密の下書き" in response.content.decode()
    assert "blog-draft-note" in response.content.decode()


def test_a_post_is_only_found_under_its_own_providers_address(client, owner):
    other_post = BlogPostFactory(title="別の人の投稿")
    url = reverse("storefront:blog_post", args=[owner.pk, other_post.pk])
    assert client.get(url).status_code == 404
    client.force_login(owner.user)
    assert client.get(url).status_code == 404


def test_provider_page_shows_the_latest_three_posts(client, owner):
    now = timezone.now()
    posts = [
        BlogPostFactory(
            provider=owner, title=f"最近の投稿{i}", published_at=now - timedelta(hours=i)
        )
        for i in range(4)
    ]
    _draft(owner, title="下書きです")
    page = client.get(reverse("storefront:detail", args=[owner.pk])).content.decode()
    assert "provider-blog" in page
    for post in posts[:3]:
        assert reverse("storefront:blog_post", args=[owner.pk, post.pk]) in page
    assert "最近の投稿3" not in page
    assert "下書きです" not in page
    assert reverse("storefront:blog", args=[owner.pk]) in page


def test_provider_page_without_posts_has_no_blog_section(client, owner):
    _draft(owner)
    page = client.get(reverse("storefront:detail", args=[owner.pk])).content.decode()
    assert "provider-blog" not in page


# --- The provider's own area -------------------------------------------------------------


def test_the_manage_pages_need_a_storefront(client):
    url = reverse("storefront:manage_blog")
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert client.get(url)["Location"] == reverse("storefront:open")


def test_manage_list_shows_own_posts_with_status(client, owner):
    BlogPostFactory(provider=owner, title="公開中の投稿")
    _draft(owner, title="書きかけ")
    BlogPostFactory(title="他人の投稿")
    client.force_login(owner.user)
    response = client.get(reverse("storefront:manage_blog"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "公開中の投稿" in page
    assert "書きかけ" in page
    assert "他人の投稿" not in page
    assert "blog-status-published" in page
    assert "blog-status-draft" in page


def test_write_a_post_in_the_editor(client, owner):
    client.force_login(owner.user)
    url = reverse("storefront:manage_blog_new")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "新しい投稿", "body": "**本文**\r\n", "publish": "on", "action": "save"}
    )
    post = BlogPost.objects.get(provider=owner)
    assert response["Location"] == reverse("storefront:manage_blog_edit", args=[post.pk])
    assert (post.title, post.body, post.is_published) == ("新しい投稿", "**本文**", True)
    assert post.body_html == "<p><strong>本文</strong></p>\n"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", blog.TITLE_REQUIRED),
        ({"title": "x" * 101}, "title", blog.TITLE_TOO_LONG),
        ({"body": ""}, "body", blog.BODY_REQUIRED),
        ({"body": "y" * 20001}, "body", blog.BODY_TOO_LONG),
    ],
)
def test_editor_limits_give_400_and_save_nothing(client, owner, data, field, message):
    client.force_login(owner.user)
    form = {"title": "題名", "body": "本文", "action": "save", **data}
    response = client.post(reverse("storefront:manage_blog_new"), form)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [str(message)]
    assert str(message) in response.content.decode()
    assert not BlogPost.objects.exists()

    post = BlogPostFactory(provider=owner)
    before = _snapshot(post.pk)
    response = client.post(reverse("storefront:manage_blog_edit", args=[post.pk]), form)
    assert response.status_code == 400
    assert _snapshot(post.pk) == before


def test_edit_a_post_and_unpublish_it(client, owner):
    post = BlogPostFactory(provider=owner)
    client.force_login(owner.user)
    url = reverse("storefront:manage_blog_edit", args=[post.pk])
    assert post.title in client.get(url).content.decode()
    response = client.post(url, {"title": "直した", "body": "新しい本文", "action": "save"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.body, post.is_published) == ("直した", "新しい本文", False)


def test_preview_without_javascript_renders_and_saves_nothing(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("storefront:manage_blog_new"),
        {"title": "", "body": "## 見出し\n\n<script>x</script>", "action": "preview"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h3>見出し</h3>" in page
    assert "&lt;script&gt;" in page
    assert not BlogPost.objects.exists()


def test_htmx_preview_returns_sanitised_html(client, owner):
    client.force_login(owner.user)
    url = reverse("storefront:manage_blog_preview")
    response = client.post(
        url, {"body": "[x](javascript:alert(1)) [y](https://ok.example)"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="https://ok.example" rel="nofollow noopener ugc">y</a>' in html
    assert 'href="javascript' not in html
    assert "<html" not in html  # a fragment, not a page
    too_long = client.post(url, {"body": "x" * 20001}, HTTP_HX_REQUEST="true")
    assert too_long.status_code == 400
    assert not BlogPost.objects.exists()


def test_publish_and_unpublish_from_the_list(client, owner):
    post = _draft(owner)
    client.force_login(owner.user)
    url = reverse("storefront:manage_blog_publish", args=[post.pk])
    assert client.post(url, {"published": "1"}).status_code == 302
    post.refresh_from_db()
    assert post.is_published
    assert post.published_at is not None
    client.post(url, {"published": "0"})
    post.refresh_from_db()
    assert not post.is_published
    assert client.get(url).status_code == 405


def test_delete_asks_first_then_deletes(client, owner):
    post = BlogPostFactory(provider=owner, title="消す投稿")
    client.force_login(owner.user)
    url = reverse("storefront:manage_blog_delete", args=[post.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "消す投稿" in confirm.content.decode()
    assert BlogPost.objects.filter(pk=post.pk).exists()
    assert client.post(url)["Location"] == reverse("storefront:manage_blog")
    assert not BlogPost.objects.filter(pk=post.pk).exists()


@pytest.mark.parametrize(
    ("url_name", "method", "data"),
    [
        ("storefront:manage_blog_edit", "get", {}),
        (
            "storefront:manage_blog_edit",
            "post",
            {"title": "乗っ取り", "body": "x", "action": "save"},
        ),
        ("storefront:manage_blog_publish", "post", {"published": "1"}),
        ("storefront:manage_blog_publish", "post", {"published": "0"}),
        ("storefront:manage_blog_delete", "get", {}),
        ("storefront:manage_blog_delete", "post", {}),
    ],
)
@pytest.mark.parametrize("published", [True, False])
def test_every_post_action_refuses_another_providers_post(
    client, owner, url_name, method, data, published
):
    victim = BlogPostFactory(
        is_published=published, published_at=timezone.now() if published else None
    )
    before = _snapshot(victim.pk)
    client.force_login(owner.user)
    response = getattr(client, method)(reverse(url_name, args=[victim.pk]), data)
    assert response.status_code == 404
    assert _snapshot(victim.pk) == before
    assert not BlogPost.objects.filter(provider=owner).exists()
