"""Video links: which addresses are accepted, and the rules of a provider's video list."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.storefront.models import VideoLink
from aizuchi.storefront.selectors import media as media_reads
from aizuchi.storefront.services import media
from aizuchi.storefront.services.videos import (
    VIDEO_URL_INVALID,
    VIDEO_URL_REQUIRED,
    embed_url,
    parse_video_url,
)
from aizuchi.storefront.tests.factories import ProviderFactory

YT = "dQw4w9WgXcQ"

VALID = [
    (f"https://www.youtube.com/watch?v={YT}", "youtube", YT),
    (f"http://www.youtube.com/watch?v={YT}", "youtube", YT),
    (f"https://youtube.com/watch?v={YT}", "youtube", YT),
    (f"https://m.youtube.com/watch?v={YT}", "youtube", YT),
    (f"https://music.youtube.com/watch?v={YT}&list=RDAMVM", "youtube", YT),
    (f"https://www.youtube.com/watch?v={YT}&t=42s", "youtube", YT),
    (f"https://www.youtube.com/watch?feature=share&v={YT}&si=AbC", "youtube", YT),
    (f"https://youtu.be/{YT}", "youtube", YT),
    (f"https://youtu.be/{YT}?si=xyz&t=10", "youtube", YT),
    (f"https://www.youtube.com/shorts/{YT}", "youtube", YT),
    (f"https://youtube.com/shorts/{YT}?feature=share", "youtube", YT),
    (f"https://www.youtube.com/embed/{YT}", "youtube", YT),
    (f"https://www.youtube-nocookie.com/embed/{YT}", "youtube", YT),
    (f"https://www.youtube.com/live/{YT}", "youtube", YT),
    (f"  https://WWW.YOUTUBE.COM/watch?v={YT}  ", "youtube", YT),
    (f"youtu.be/{YT}", "youtube", YT),
    ("https://www.youtube.com/watch?v=a-b_c-d_e-f", "youtube", "a-b_c-d_e-f"),
    ("https://vimeo.com/123456789", "vimeo", "123456789"),
    ("http://vimeo.com/76979871", "vimeo", "76979871"),
    ("https://www.vimeo.com/76979871/", "vimeo", "76979871"),
    ("https://vimeo.com/channels/staffpicks/123", "vimeo", "123"),
    ("https://player.vimeo.com/video/123456789", "vimeo", "123456789"),
    ("https://player.vimeo.com/video/123456789?h=abc&badge=0", "vimeo", "123456789"),
]

INVALID = [
    "",
    "   ",
    "not a url",
    "https://example.com/watch?v=dQw4w9WgXcQ",
    "javascript:alert(1)",
    "JavaScript://www.youtube.com/watch?v=dQw4w9WgXcQ%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    "https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ",
    "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com.evil.example/embed/dQw4w9WgXcQ",
    "https://www.youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
    "https://user:pass@www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
    "https://youtu.be.evil.example/dQw4w9WgXcQ",
    "https://vimeo.com.evil.example/123456",
    "https://evilvimeo.com/123456",
    "https://www.youtube.com/",
    "https://www.youtube.com/watch",
    "https://www.youtube.com/watch?v=",
    "https://www.youtube.com/watch?v=short",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQx",  # 12 characters
    "https://www.youtube.com/watch?v=dQw4w9WgXc!",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=aaaaaaaaaaa",
    "https://www.youtube.com/channel/UCabcdefghijk",
    "https://www.youtube.com/@someone",
    "https://www.youtube.com/playlist?list=PL123",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ/extra",
    "https://youtu.be/",
    "https://youtu.be/dQw4w9WgXcQ/more",
    "https://vimeo.com/",
    "https://vimeo.com/abc",
    "https://vimeo.com/0123",
    "https://vimeo.com/123456/abcdef",
    "https://vimeo.com/channels/staffpicks",
    "https://vimeo.com/channels/staff picks/123",
    "https://player.vimeo.com/123456",
    "https://player.vimeo.com/video/abc",
    "https://vimeo.com/1234567890123",  # too long
    "https://[::1/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=dQw4w\n9WgXcQ",
    "https://www.you\ttube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=\u0434Qw4w9WgXcQ",
    "https://ｙｏｕｔｕｂｅ.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ" + "&x=1" * 600,
]


@pytest.mark.parametrize(("url", "platform", "video_id"), VALID)
def test_accepted_addresses(url, platform, video_id):
    video = parse_video_url(url)
    assert (video.platform, video.video_id) == (platform, video_id)


@pytest.mark.parametrize("url", INVALID)
def test_refused_addresses(url):
    with pytest.raises(InvalidInput) as exc:
        parse_video_url(url)
    assert list(exc.value.errors) == ["url"]
    assert exc.value.errors["url"][0] in (VIDEO_URL_INVALID, VIDEO_URL_REQUIRED)


def test_canonical_and_embed_addresses():
    assert parse_video_url(f"https://youtu.be/{YT}?t=3").url == (
        f"https://www.youtube.com/watch?v={YT}"
    )
    assert parse_video_url("https://player.vimeo.com/video/42").url == "https://vimeo.com/42"
    assert embed_url("youtube", YT) == f"https://www.youtube-nocookie.com/embed/{YT}?autoplay=1"
    assert embed_url("vimeo", "42") == "https://player.vimeo.com/video/42?autoplay=1&dnt=1"


@hsettings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_is_a_video_or_invalid_input(text):
    try:
        video = parse_video_url(text)
    except InvalidInput:
        return
    assert video.platform in ("youtube", "vimeo")


URLISH = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
    st.sampled_from(["http", "https", "javascript", "HTTPS", ""]),
    st.sampled_from(
        ["youtube.com", "www.youtube.com", "youtu.be", "vimeo.com", "player.vimeo.com", "x.y"]
    ),
    st.text(alphabet="/abcvideoshortsembed0123456789_-?=&%:@.", max_size=40),
    st.text(max_size=30),
)


@hsettings(max_examples=400, deadline=None)
@given(URLISH)
def test_url_like_text_is_a_video_or_invalid_input(text):
    try:
        video = parse_video_url(text)
    except InvalidInput:
        return
    # Whatever was accepted embeds as exactly one of the two players.
    assert embed_url(video.platform, video.video_id).startswith(
        ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")
    )


@given(st.text(alphabet="ABCxyz0189_-", min_size=11, max_size=11))
def test_every_well_formed_youtube_id_round_trips(video_id):
    for url in (
        f"https://www.youtube.com/watch?v={video_id}",
        f"https://youtu.be/{video_id}",
        f"https://youtube.com/shorts/{video_id}",
    ):
        assert parse_video_url(url).video_id == video_id


# --- The provider's list ---------------------------------------------------------------------
@pytest.mark.django_db
def test_add_stores_platform_id_and_canonical_url():
    provider = ProviderFactory()
    link = media.video_add(provider=provider, url=f"https://youtu.be/{YT}?si=x", title=" 自己紹介 ")
    link.refresh_from_db()
    assert (link.platform, link.video_id, link.title) == ("youtube", YT, "自己紹介")
    assert link.url == f"https://www.youtube.com/watch?v={YT}"


@pytest.mark.django_db
def test_non_video_address_is_refused_and_nothing_saved():
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as exc:
        media.video_add(provider=provider, url="https://example.com/my-video")
    assert exc.value.errors["url"] == [VIDEO_URL_INVALID]
    assert not VideoLink.objects.exists()


@pytest.mark.django_db
def test_same_video_twice_in_another_form_is_a_duplicate():
    provider = ProviderFactory()
    media.video_add(provider=provider, url=f"https://www.youtube.com/watch?v={YT}")
    with pytest.raises(InvalidInput) as exc:
        media.video_add(provider=provider, url=f"https://youtu.be/{YT}")
    assert exc.value.errors["url"] == [media.VIDEO_DUPLICATE]
    assert VideoLink.objects.count() == 1
    # Another provider may show the same video.
    media.video_add(provider=ProviderFactory(), url=f"https://youtu.be/{YT}")


@pytest.mark.django_db
def test_eleventh_video_is_refused():
    provider = ProviderFactory()
    for n in range(10):
        media.video_add(provider=provider, url=f"https://vimeo.com/{1000 + n}")
    with pytest.raises(InvalidInput) as exc:
        media.video_add(provider=provider, url="https://vimeo.com/9999")
    assert "10" in str(exc.value.errors["url"][0])
    assert VideoLink.objects.filter(provider=provider).count() == 10
    assert list(
        VideoLink.objects.filter(provider=provider).values_list("position", flat=True)
    ) == list(range(10))


@pytest.mark.django_db
def test_title_too_long_is_refused():
    with pytest.raises(InvalidInput) as exc:
        media.video_add(provider=ProviderFactory(), url="https://vimeo.com/1", title="あ" * 81)
    assert "title" in exc.value.errors
    assert not VideoLink.objects.exists()


def _order(provider):
    return [v.video_id for v in media_reads.video_list(provider=provider)]


@pytest.mark.django_db
def test_reorder_move_and_delete_only_own_videos():
    mine, theirs = ProviderFactory(), ProviderFactory()
    a, b, c = (media.video_add(provider=mine, url=f"https://vimeo.com/{n}") for n in (1, 2, 3))
    other = media.video_add(provider=theirs, url="https://vimeo.com/4")

    media.videos_reorder(provider=mine, video_ids=[c.pk, a.pk, b.pk])
    assert _order(mine) == ["3", "1", "2"]

    with pytest.raises(NotFound):
        media.videos_reorder(provider=mine, video_ids=[c.pk, a.pk, other.pk])
    with pytest.raises(NotFound):
        media.videos_reorder(provider=mine, video_ids=[c.pk, a.pk, b.pk, other.pk])
    with pytest.raises(InvalidInput):
        media.videos_reorder(provider=mine, video_ids=[c.pk, a.pk])
    with pytest.raises(InvalidInput):
        media.videos_reorder(provider=mine, video_ids=[c.pk, a.pk, a.pk])
    assert _order(mine) == ["3", "1", "2"]

    media.video_move(provider=mine, video_id=b.pk, offset=-1)
    assert _order(mine) == ["3", "2", "1"]
    media.video_move(provider=mine, video_id=c.pk, offset=-1)  # already first: stays
    assert _order(mine) == ["3", "2", "1"]
    with pytest.raises(NotFound):
        media.video_move(provider=mine, video_id=other.pk, offset=-1)

    with pytest.raises(NotFound):
        media.video_delete(provider=mine, video_id=other.pk)
    assert VideoLink.objects.filter(pk=other.pk).exists()
    media.video_delete(provider=mine, video_id=c.pk)
    assert _order(mine) == ["2", "1"]
    assert list(mine.videos.values_list("position", flat=True)) == [0, 1]
