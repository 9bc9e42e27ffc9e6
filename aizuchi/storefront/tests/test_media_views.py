"""The media section of the provider's area, the public page's media, and /media/ serving."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from aizuchi.storefront.models import Provider, ProviderImage, VideoLink
from aizuchi.storefront.selectors import media as media_reads
from aizuchi.storefront.services import media
from aizuchi.storefront.tests import mediafiles as mf
from aizuchi.storefront.tests.factories import ProviderFactory

PAGE = reverse("storefront:manage_media")
YT = "dQw4w9WgXcQ"


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def provider(db, media_root):
    return ProviderFactory()


@pytest.fixture
def owner(client, provider):
    # The messages checked below are the English ones; the owner reads the site in English.
    provider.user.language = "en"
    provider.user.save(update_fields=["language"])
    client.force_login(provider.user)
    return client


def url(name, *args):
    return reverse(f"storefront:{name}", args=args)


@pytest.mark.django_db
def test_only_a_signed_in_provider_reaches_the_section(client, user):
    assert client.get(PAGE).status_code == 302
    assert "login" in client.get(PAGE)["Location"]
    client.force_login(user)  # a customer without a storefront
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:open")
    assert client.post(url("manage_media_video_add"), {"url": f"https://youtu.be/{YT}"})[
        "Location"
    ] == reverse("storefront:open")
    assert not VideoLink.objects.exists()


def test_page_shows_counts_and_forms(owner, provider):
    media.video_add(provider=provider, url="https://vimeo.com/42")
    response = owner.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "0 / 10" in html
    assert "1 / 10" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="images"' in html
    assert "multiple" in html
    assert 'name="voice_sample"' in html
    assert "storefront/media.js" in html


def test_upload_several_photos(owner, provider, media_root):
    response = owner.post(
        url("manage_media_images_add"),
        {"images": [mf.photo("a.jpg"), mf.photo("b.png", fmt="PNG")], "caption": "ふたりで"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#photos")
    assert provider.images.count() == 2
    page = owner.get(PAGE).content.decode()
    assert "2 / 10" in page
    for image in provider.images.all():
        assert image.thumbnail.url in page


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([mf.upload(b"hello, not a photo", "cat.jpg")], "is not a JPEG, PNG or WebP"),
        ([mf.upload(mf.image_bytes("GIF"), "a.gif", "image/gif")], "is not a JPEG, PNG or WebP"),
        ([mf.upload(mf.png_bomb(), "bomb.png", "image/png")], "too many pixels"),
        ([], "Choose one or more photos"),
    ],
)
def test_bad_photo_upload_is_a_400_with_the_message(owner, provider, media_root, files, message):
    response = owner.post(url("manage_media_images_add"), {"images": files})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="field-error"' in response.content.decode()
    assert not ProviderImage.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_oversized_photo_is_a_400(owner, provider, settings):
    settings.AIZUCHI_STOREFRONT_MEDIA = {
        **settings.AIZUCHI_STOREFRONT_MEDIA,
        "IMAGE_MAX_BYTES": 1024 * 1024,
    }
    response = owner.post(
        url("manage_media_images_add"),
        {"images": [mf.upload(b"\xff\xd8" + b"\x00" * (1024 * 1024), "big.jpg")]},
    )
    assert response.status_code == 400
    assert "big.jpg is larger than 1 MB" in response.content.decode()
    assert not ProviderImage.objects.exists()


def test_eleventh_photo_is_a_400_and_nothing_saved(owner, provider):
    media.images_add(provider=provider, uploads=[mf.photo() for _ in range(10)])
    page = owner.get(PAGE).content.decode()
    assert "10 / 10" in page
    response = owner.post(url("manage_media_images_add"), {"images": [mf.photo("11.jpg")]})
    assert response.status_code == 400
    assert "at most 10 photos" in response.content.decode()
    assert provider.images.count() == 10


def test_caption_move_and_delete(owner, provider, media_root, django_capture_on_commit_callbacks):
    a, b = media.images_add(provider=provider, uploads=[mf.photo(), mf.photo()])
    response = owner.post(url("manage_media_image_caption", b.pk), {"caption": "お気に入り"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.caption == "お気に入り"

    response = owner.post(url("manage_media_image_caption", b.pk), {"caption": "x" * 81})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    b.refresh_from_db()
    assert b.caption == "お気に入り"

    assert owner.post(url("manage_media_image_move", b.pk), {"direction": "up"}).status_code == 302
    assert [i.pk for i in media_reads.image_list(provider=provider)] == [b.pk, a.pk]
    bad = owner.post(url("manage_media_image_move", b.pk), {"direction": "sideways"})
    assert bad.status_code == 400

    order = owner.post(url("manage_media_images_order"), {"ids": [a.pk, b.pk]})
    assert order.status_code == 302
    assert [i.pk for i in media_reads.image_list(provider=provider)] == [a.pk, b.pk]
    assert owner.post(url("manage_media_images_order"), {"ids": [a.pk]}).status_code == 400

    files = [media_root / a.image.name, media_root / a.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(url("manage_media_image_delete", a.pk))
    assert response.status_code == 302
    assert not ProviderImage.objects.filter(pk=a.pk).exists()
    assert not any(p.exists() for p in files)


def test_another_providers_photos_and_videos_are_out_of_reach(owner, provider):
    other = ProviderFactory()
    [image] = media.images_add(provider=other, uploads=[mf.photo()], caption="theirs")
    video = media.video_add(provider=other, url="https://vimeo.com/7")
    mine = media.video_add(provider=provider, url="https://vimeo.com/8")
    attempts = [
        (url("manage_media_image_caption", image.pk), {"caption": "mine now"}),
        (url("manage_media_image_move", image.pk), {"direction": "down"}),
        (url("manage_media_image_delete", image.pk), {}),
        (url("manage_media_images_order"), {"ids": [image.pk]}),
        (url("manage_media_video_move", video.pk), {"direction": "up"}),
        (url("manage_media_video_delete", video.pk), {}),
        (url("manage_media_image_delete", 999_999), {}),
    ]
    for target, data in attempts:
        assert owner.post(target, data).status_code == 404, target
    image.refresh_from_db()
    assert image.caption == "theirs"
    assert VideoLink.objects.filter(pk=video.pk).exists()
    assert VideoLink.objects.filter(pk=mine.pk).exists()


def test_video_add_and_errors(owner, provider):
    response = owner.post(url("manage_media_video_add"), {"url": f"https://youtu.be/{YT}?t=5"})
    assert response.status_code == 302
    assert provider.videos.get().video_id == YT

    for bad, message in [
        ("https://example.com/video", "not a YouTube or Vimeo video address"),
        ("javascript:alert(1)", "not a YouTube or Vimeo video address"),
        ("https://youtube.com.evil.example/watch?v=" + YT, "not a YouTube or Vimeo"),
        (f"https://www.youtube.com/watch?v={YT}", "already on your page"),
        ("", "Enter the address of a YouTube or Vimeo video"),
    ]:
        response = owner.post(url("manage_media_video_add"), {"url": bad})
        assert response.status_code == 400, bad
        assert message in response.content.decode(), bad
    assert provider.videos.count() == 1

    for n in range(9):
        media.video_add(provider=provider, url=f"https://vimeo.com/{100 + n}")
    response = owner.post(url("manage_media_video_add"), {"url": "https://vimeo.com/5"})
    assert response.status_code == 400
    assert "at most 10 videos" in response.content.decode()
    assert provider.videos.count() == 10

    first = media_reads.video_list(provider=provider)[0]
    assert (
        owner.post(url("manage_media_video_move", first.pk), {"direction": "down"}).status_code
        == 302
    )
    assert media_reads.video_list(provider=provider)[1].pk == first.pk
    assert owner.post(url("manage_media_video_delete", first.pk)).status_code == 302
    assert provider.videos.count() == 9


def test_voice_upload_replace_and_remove(
    owner, provider, settings, media_root, django_capture_on_commit_callbacks
):
    response = owner.post(
        url("manage_media_voice"),
        {"voice_sample": mf.upload(mf.wav_bytes(), "hi.wav", "audio/wav")},
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.voice_sample_type == "audio/wav"
    page = owner.get(PAGE).content.decode()
    assert "<audio" in page
    assert provider.voice_sample.url in page

    settings.AIZUCHI_STOREFRONT_MEDIA = {
        **settings.AIZUCHI_STOREFRONT_MEDIA,
        "VOICE_MAX_BYTES": 1024,
    }
    response = owner.post(
        url("manage_media_voice"), {"voice_sample": mf.upload(mf.mp3_bytes(2048), "long.mp3")}
    )
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    response = owner.post(
        url("manage_media_voice"), {"voice_sample": mf.upload(b"<svg/>" * 10, "v.mp3")}
    )
    assert response.status_code == 400
    assert "must be an audio file" in response.content.decode()
    response = owner.post(url("manage_media_voice"), {})
    assert response.status_code == 400
    assert Provider.objects.get(pk=provider.pk).voice_sample_type == "audio/wav"

    old = media_root / provider.voice_sample.name
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(url("manage_media_voice_delete")).status_code == 302
    assert not Provider.objects.get(pk=provider.pk).voice_sample
    assert not old.exists()


# --- The public page --------------------------------------------------------------------------
def test_public_page_shows_click_to_play_placeholders_and_loads_nothing_from_video_hosts(
    client, provider
):
    media.images_add(provider=provider, uploads=[mf.photo(), mf.photo()], caption="海辺")
    media.video_add(provider=provider, url=f"https://youtu.be/{YT}", title="はじめまして")
    media.video_add(provider=provider, url="https://vimeo.com/76979871")
    media.voice_sample_set(provider=provider, upload=mf.upload(mf.mp3_bytes()))
    provider.refresh_from_db()

    response = client.get(url("detail", provider.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<iframe" not in html
    sources = re.findall(r"""\b(?:src|srcset|poster|data)\s*=\s*["']([^"']*)""", html)
    assert sources
    assert not [s for s in sources if re.search(r"youtube|youtu\.be|vimeo|ytimg", s, re.I)]
    assert "ytimg" not in html
    assert "vimeocdn" not in html
    # Placeholders: title, platform, and a plain link to the video for no-JS visitors.
    assert "はじめまして" in html
    assert f'href="https://www.youtube.com/watch?v={YT}"' in html
    assert 'href="https://vimeo.com/76979871"' in html
    assert f'data-video-id="{YT}"' in html
    assert 'data-platform="vimeo"' in html
    # Gallery: thumbnails link to the full photo.
    for image in provider.images.all():
        assert f'href="{image.image.url}"' in html
        assert f'src="{image.thumbnail.url}"' in html
    assert '<audio controls preload="none">' in html
    assert provider.voice_sample.url in html
    csp = response["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.vimeo.com" in csp


def test_public_page_without_media_has_no_media_section(client, provider):
    html = client.get(url("detail", provider.pk)).content.decode()
    assert "provider-media" not in html
    assert "media.js" not in html


# --- Serving uploads --------------------------------------------------------------------------
def test_media_url_serves_an_uploaded_thumbnail(client, provider, media_root, settings):
    assert settings.DEBUG is False
    [image] = media.images_add(provider=provider, uploads=[mf.photo()])
    assert image.thumbnail.url.startswith(settings.MEDIA_URL)
    response = client.get(image.thumbnail.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body == (media_root / image.thumbnail.name).read_bytes()

    assert client.get(settings.MEDIA_URL + "providers/nothing-here.webp").status_code == 404
    outside = client.get(settings.MEDIA_URL + "../config/settings/base.py")
    assert outside.status_code in (400, 404)
