"""The voice sample: audio only, recognised by its bytes, within the size limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput
from aizuchi.storefront.models import Provider
from aizuchi.storefront.services import media
from aizuchi.storefront.tests import mediafiles as mf
from aizuchi.storefront.tests.factories import ProviderFactory


@pytest.fixture(autouse=True)
def _english():
    """The messages checked here are the English source texts."""
    with translation.override("en"):
        yield


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def audio(data: bytes, name: str = "voice.bin", content_type: str = "audio/mpeg"):
    return mf.upload(data, name, content_type)


ACCEPTED = [
    (mf.mp3_bytes(), "audio/mpeg", ".mp3"),
    (mf.mp3_bytes(id3=False), "audio/mpeg", ".mp3"),
    (mf.mp4_bytes(), "audio/mp4", ".m4a"),
    (mf.mp4_bytes(brand=b"mp42"), "audio/mp4", ".m4a"),  # generic brand, sound track only
    (mf.ogg_opus_bytes(), "audio/ogg", ".opus"),
    (mf.wav_bytes(), "audio/wav", ".wav"),
    (mf.webm_bytes(), "audio/webm", ".webm"),
    (bytes([0xFF, 0xF1, 0x50, 0x80]) + b"\x00" * 100, "audio/aac", ".aac"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "content_type", "suffix"), ACCEPTED)
def test_audio_types_by_their_bytes_whatever_the_name(media_root, data, content_type, suffix):
    provider = ProviderFactory()
    # The name and the browser's type lie; the bytes decide.
    media.voice_sample_set(provider=provider, upload=audio(data, "readme.txt", "text/plain"))
    provider.refresh_from_db()
    assert provider.voice_sample_type == content_type
    assert provider.voice_sample.name.startswith(f"providers/{provider.pk}/voice/")
    assert provider.voice_sample.name.endswith(suffix)
    assert (media_root / provider.voice_sample.name).read_bytes() == data


WRONG = [
    (b"plain text pretending to be an mp3 file", "voice.mp3"),
    (mf.image_bytes("PNG"), "voice.m4a"),
    (mf.image_bytes("JPEG"), "voice.mp3"),
    (mf.mp4_bytes(handlers=(b"vide", b"soun"), brand=b"isom"), "clip.m4a"),  # a video
    (mf.mp4_bytes(handlers=(b"vide",), brand=b"mp42"), "clip.mp4"),
    (mf.mp4_bytes(handlers=(), brand=b"M4A "), "empty.m4a"),
    (mf.webm_bytes(track_types=(1, 2)), "clip.webm"),  # video and sound
    (mf.ogg_opus_bytes().replace(b"OpusHead", b"\x80theora"), "clip.ogv"),
    (b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x00" * 20, "clip.wav"),
    (b"<html><script>alert(1)</script></html>", "voice.webm"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"<html>", "voice.mp3"),
    (b"", "empty.mp3"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "name"), WRONG)
def test_anything_but_audio_is_refused(media_root, data, name):
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as exc:
        media.voice_sample_set(provider=provider, upload=audio(data, name))
    assert exc.value.errors == {"voice_sample": [media.VOICE_WRONG_TYPE]}
    provider.refresh_from_db()
    assert not provider.voice_sample
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


@pytest.mark.django_db
def test_oversized_audio_is_refused_with_a_clear_message(media_root):
    assert media.limits()["VOICE_MAX_BYTES"] == 5 * 1024 * 1024
    provider = ProviderFactory()
    big = audio(mf.mp3_bytes(size=5 * 1024 * 1024 + 1), "long.mp3")
    with pytest.raises(InvalidInput) as exc:
        media.voice_sample_set(provider=provider, upload=big)
    assert "larger than 5 MB" in str(exc.value.errors["voice_sample"][0])
    provider.refresh_from_db()
    assert not provider.voice_sample
    assert not media_root.exists() or not any(media_root.rglob("*.*"))
    # Exactly at the limit is fine.
    media.voice_sample_set(provider=provider, upload=audio(mf.mp3_bytes(size=5 * 1024 * 1024)))


@pytest.mark.django_db
def test_limit_comes_from_settings(settings, media_root):
    settings.AIZUCHI_STOREFRONT_MEDIA = {
        **settings.AIZUCHI_STOREFRONT_MEDIA,
        "VOICE_MAX_BYTES": 1024 * 1024,
    }
    with pytest.raises(InvalidInput) as exc:
        media.voice_sample_set(
            provider=ProviderFactory(), upload=audio(mf.mp3_bytes(size=1024 * 1024 + 1))
        )
    assert "larger than 1 MB" in str(exc.value.errors["voice_sample"][0])


@pytest.mark.django_db
def test_replacing_removes_the_old_file_after_commit(
    media_root, django_capture_on_commit_callbacks
):
    provider = ProviderFactory()
    media.voice_sample_set(provider=provider, upload=audio(mf.mp3_bytes()))
    old = media_root / Provider.objects.get(pk=provider.pk).voice_sample.name
    assert old.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        media.voice_sample_set(provider=provider, upload=audio(mf.wav_bytes()))
    assert old.exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert not old.exists()
    fresh = Provider.objects.get(pk=provider.pk)
    assert fresh.voice_sample_type == "audio/wav"
    assert (media_root / fresh.voice_sample.name).exists()

    # A refused replacement keeps the current sample.
    with pytest.raises(InvalidInput):
        media.voice_sample_set(provider=provider, upload=audio(b"not audio at all, sorry"))
    assert Provider.objects.get(pk=provider.pk).voice_sample.name == fresh.voice_sample.name


@pytest.mark.django_db
def test_remove(media_root, django_capture_on_commit_callbacks):
    provider = ProviderFactory()
    media.voice_sample_set(provider=provider, upload=audio(mf.ogg_opus_bytes()))
    path = media_root / Provider.objects.get(pk=provider.pk).voice_sample.name
    with django_capture_on_commit_callbacks(execute=True):
        media.voice_sample_remove(provider=provider)
    fresh = Provider.objects.get(pk=provider.pk)
    assert not fresh.voice_sample
    assert fresh.voice_sample_type == ""
    assert not path.exists()
    media.voice_sample_remove(provider=provider)  # nothing to remove: still fine


@hsettings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=512),
        st.sampled_from([d for d, _t, _s in ACCEPTED]).flatmap(
            lambda good: st.tuples(
                st.integers(min_value=0, max_value=len(good)), st.binary(max_size=24)
            ).map(lambda t: good[: t[0]] + t[1])
        ),
    )
)
def test_sniffing_any_bytes_never_raises(data):
    found = media.audio_type(data)
    assert found is None or found[0].startswith("audio/")
