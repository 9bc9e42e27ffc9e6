"""Provider photos: checked by decoding, re-encoded without metadata, counted under a lock."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from django.db import close_old_connections
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.storefront.models import ProviderImage
from aizuchi.storefront.selectors import media as media_reads
from aizuchi.storefront.services import media
from aizuchi.storefront.tests import mediafiles as mf
from aizuchi.storefront.tests.factories import ProviderFactory


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _limits(settings, **changes):
    settings.AIZUCHI_STOREFRONT_MEDIA = {**settings.AIZUCHI_STOREFRONT_MEDIA, **changes}


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _open(field) -> Image.Image:
    field.open("rb")
    try:
        im = Image.open(io.BytesIO(field.read()))
        im.load()
        return im
    finally:
        field.close()


def _errors(exc) -> str:
    return " ".join(str(e) for e in exc.value.errors["images"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "b.png"), ("WEBP", "c.webp"), ("PNG", "d.jpg")]
)
def test_jpeg_png_webp_are_stored_as_webp_with_a_thumbnail(media_root, fmt, name):
    provider = ProviderFactory()
    [image] = media.images_add(
        provider=provider, uploads=[mf.photo(name, fmt=fmt, size=(320, 200))], caption="窓辺で"
    )
    image.refresh_from_db()
    assert image.caption == "窓辺で"
    assert image.image.name.startswith(f"providers/{provider.pk}/images/")
    assert image.image.name.endswith(".webp")
    assert image.thumbnail.name.endswith(".webp")
    full, thumb = _open(image.image), _open(image.thumbnail)
    assert (full.format, full.size) == ("WEBP", (320, 200))
    assert (image.width, image.height) == (320, 200)
    assert thumb.format == "WEBP"
    assert len(stored_files(media_root)) == 2


@pytest.mark.django_db
def test_big_photo_is_scaled_to_the_max_side_and_thumbnail_to_its_box(media_root):
    [image] = media.images_add(
        provider=ProviderFactory(), uploads=[mf.photo(fmt="JPEG", size=(4000, 1000))]
    )
    assert _open(image.image).size == (1600, 400)
    assert (image.width, image.height) == (1600, 400)
    assert _open(image.thumbnail).size == (480, 120)

    [tall] = media.images_add(
        provider=ProviderFactory(), uploads=[mf.photo(fmt="PNG", size=(600, 2400))]
    )
    assert _open(tall.image).size == (400, 1600)
    assert _open(tall.thumbnail).size == (120, 480)


@pytest.mark.django_db
def test_transparency_survives(media_root):
    [image] = media.images_add(
        provider=ProviderFactory(), uploads=[mf.photo("a.png", fmt="PNG", alpha=True)]
    )
    assert _open(image.image).mode == "RGBA"


@pytest.mark.django_db
def test_exif_orientation_applied_and_gps_and_all_metadata_removed(media_root):
    original = mf.jpeg_with_gps_and_orientation(size=(200, 100))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(mf.GPS_IFD)  # the test is real
    [image] = media.images_add(provider=ProviderFactory(), uploads=[mf.upload(original)])

    for field in (image.image, image.thumbnail):
        im = _open(field)
        assert not im.getexif()
        assert not im.getexif().get_ifd(mf.GPS_IFD)
        assert not {"exif", "xmp", "icc_profile"} & set(im.info)
        field.open("rb")
        raw = field.read()
        field.close()
        assert b"Exif" not in raw
        assert b"AizuchiCam" not in raw
        assert b"XMP" not in raw

    im = _open(image.image)
    # Stored sideways 200x100 (left red, right blue); shown upright: 100x200, red on top.
    assert im.size == (100, 200)
    red_top, blue_bottom = (
        im.convert("RGB").getpixel((50, 20)),
        im.convert("RGB").getpixel((50, 180)),
    )
    assert red_top[0] > 200
    assert red_top[2] < 60
    assert blue_bottom[2] > 200
    assert blue_bottom[0] < 60


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"just some text, honestly", "notes.jpg"),
        (b"", "empty.jpg"),
        (mf.image_bytes("GIF"), "anim.gif"),
        (mf.image_bytes("BMP"), "old.bmp"),
        (mf.image_bytes("TIFF"), "scan.tiff"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
        ),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "x.png"),
        (mf.image_bytes("JPEG", (400, 400))[:200], "cut.jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 30, "broken.webp"),
    ],
)
def test_anything_but_a_sound_jpeg_png_or_webp_is_refused(media_root, data, name):
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=provider, uploads=[mf.upload(data, name)])
    assert "not a JPEG, PNG or WebP" in _errors(exc)
    assert name in _errors(exc)
    assert not ProviderImage.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_oversized_file_is_refused_before_decoding(settings, media_root):
    _limits(settings, IMAGE_MAX_BYTES=1024 * 1024)
    junk = mf.upload(b"\xff" * (1024 * 1024 + 1), "huge.jpg")
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=ProviderFactory(), uploads=[junk])
    assert "larger than 1 MB" in _errors(exc)  # size first: it never reached the decoder
    assert not ProviderImage.objects.exists()


@pytest.mark.django_db
def test_default_size_limit_is_8_mb(media_root):
    assert media.limits()["IMAGE_MAX_BYTES"] == 8 * 1024 * 1024
    junk = mf.upload(b"\x00" * (8 * 1024 * 1024 + 1), "big.png")
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=ProviderFactory(), uploads=[junk])
    assert "larger than 8 MB" in _errors(exc)


@pytest.mark.django_db
def test_decompression_bomb_is_refused(media_root):
    bomb = mf.upload(mf.png_bomb(), "bomb.png")
    assert bomb.size < 100
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=ProviderFactory(), uploads=[bomb])
    assert "too many pixels" in _errors(exc)
    assert stored_files(media_root) == []


@pytest.mark.django_db
def test_pixel_limit_from_settings(settings, media_root):
    _limits(settings, IMAGE_MAX_PIXELS=1_000_000)
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=ProviderFactory(), uploads=[mf.photo(size=(1001, 1000))])
    assert "too many pixels" in _errors(exc)
    media.images_add(provider=ProviderFactory(), uploads=[mf.photo(size=(1000, 1000))])


@pytest.mark.django_db
def test_eleventh_photo_is_refused_and_nothing_saved(media_root):
    provider = ProviderFactory()
    media.images_add(provider=provider, uploads=[mf.photo(f"{n}.jpg") for n in range(10)])
    before = stored_files(media_root)
    assert len(before) == 20
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=provider, uploads=[mf.photo("11.jpg")])
    assert "at most 10 photos" in _errors(exc)
    assert provider.images.count() == 10
    assert stored_files(media_root) == before


@pytest.mark.django_db
def test_a_batch_counts_in_full_and_is_all_or_nothing(media_root):
    provider = ProviderFactory()
    media.images_add(provider=provider, uploads=[mf.photo(f"{n}.jpg") for n in range(8)])
    with pytest.raises(InvalidInput):
        media.images_add(provider=provider, uploads=[mf.photo(f"x{n}.jpg") for n in range(3)])
    assert provider.images.count() == 8

    with pytest.raises(InvalidInput) as exc:
        media.images_add(
            provider=provider, uploads=[mf.photo("good.jpg"), mf.upload(b"nope", "bad.jpg")]
        )
    assert "bad.jpg" in _errors(exc)
    assert "good.jpg" not in _errors(exc)
    assert provider.images.count() == 8
    assert len(stored_files(media_root)) == 16

    added = media.images_add(provider=provider, uploads=[mf.photo("9.jpg"), mf.photo("10.jpg")])
    assert [i.position for i in added] == [8, 9]


@pytest.mark.django_db
def test_caption_limit(media_root):
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as exc:
        media.images_add(provider=provider, uploads=[mf.photo()], caption="字" * 81)
    assert "caption" in exc.value.errors
    [image] = media.images_add(provider=provider, uploads=[mf.photo()], caption="字" * 80)
    media.image_update(provider=provider, image_id=image.pk, caption="  新しい  ")
    image.refresh_from_db()
    assert image.caption == "新しい"
    with pytest.raises(InvalidInput):
        media.image_update(provider=provider, image_id=image.pk, caption="x" * 81)
    with pytest.raises(NotFound):
        media.image_update(provider=ProviderFactory(), image_id=image.pk, caption="mine now")
    image.refresh_from_db()
    assert image.caption == "新しい"


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_cannot_pass_the_limit_together(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    provider = ProviderFactory()
    media.images_add(provider=provider, uploads=[mf.photo(f"{n}.jpg") for n in range(8)])
    photos = [mf.photo(f"t{n}.jpg") for n in range(4)]
    barrier = threading.Barrier(len(photos))
    outcomes: list[str] = []

    def upload(photo):
        try:
            barrier.wait()
            media.images_add(provider=provider, uploads=[photo])
            outcomes.append("ok")
        except InvalidInput:
            outcomes.append("refused")
        finally:
            close_old_connections()

    threads = [threading.Thread(target=upload, args=(p,)) for p in photos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "ok", "refused", "refused"]
    assert provider.images.count() == 10
    assert len(stored_files(settings.MEDIA_ROOT)) == 20  # refused uploads left no files


def _order(provider) -> list[int]:
    return [i.pk for i in media_reads.image_list(provider=provider)]


@pytest.mark.django_db
def test_reorder_needs_exactly_the_providers_own_ids(media_root):
    mine, theirs = ProviderFactory(), ProviderFactory()
    a, b, c = media.images_add(provider=mine, uploads=[mf.photo() for _ in range(3)])
    [other] = media.images_add(provider=theirs, uploads=[mf.photo()])

    media.images_reorder(provider=mine, image_ids=[c.pk, a.pk, b.pk])
    assert _order(mine) == [c.pk, a.pk, b.pk]
    media.images_reorder(provider=mine, image_ids=[str(b.pk), str(c.pk), str(a.pk)])
    assert _order(mine) == [b.pk, c.pk, a.pk]

    for ids in ([b.pk, c.pk, other.pk], [b.pk, c.pk, a.pk, other.pk], [other.pk]):
        with pytest.raises(NotFound):
            media.images_reorder(provider=mine, image_ids=ids)
    for ids in ([b.pk, c.pk], [b.pk, b.pk, c.pk], [], [b.pk, c.pk, a.pk, a.pk]):
        with pytest.raises(InvalidInput):
            media.images_reorder(provider=mine, image_ids=ids)
    with pytest.raises(NotFound):
        media.images_reorder(provider=mine, image_ids=["x", "y", "z"])
    assert _order(mine) == [b.pk, c.pk, a.pk]
    assert _order(theirs) == [other.pk]

    media.image_move(provider=mine, image_id=a.pk, offset=-1)
    assert _order(mine) == [b.pk, a.pk, c.pk]
    media.image_move(provider=mine, image_id=a.pk, offset=1)
    media.image_move(provider=mine, image_id=a.pk, offset=1)  # already last
    assert _order(mine) == [b.pk, c.pk, a.pk]
    with pytest.raises(NotFound):
        media.image_move(provider=mine, image_id=other.pk, offset=-1)


@pytest.mark.django_db
def test_delete_removes_files_after_commit_and_only_own(
    media_root, django_capture_on_commit_callbacks
):
    mine, theirs = ProviderFactory(), ProviderFactory()
    a, b = media.images_add(provider=mine, uploads=[mf.photo(), mf.photo()])
    [other] = media.images_add(provider=theirs, uploads=[mf.photo()])
    a_files = [media_root / a.image.name, media_root / a.thumbnail.name]
    assert all(p.exists() for p in a_files)

    with pytest.raises(NotFound):
        media.image_delete(provider=mine, image_id=other.pk)
    assert ProviderImage.objects.filter(pk=other.pk).exists()
    assert (media_root / other.image.name).exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        media.image_delete(provider=mine, image_id=a.pk)
    assert all(p.exists() for p in a_files)  # still there until the commit
    for callback in callbacks:
        callback()
    assert not any(p.exists() for p in a_files)
    assert _order(mine) == [b.pk]
    assert b.__class__.objects.get(pk=b.pk).position == 0
    assert (media_root / b.image.name).exists()


@hsettings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2048),
        # Damage a real photo: the decoder must fail cleanly, never with a stray exception.
        st.tuples(
            st.sampled_from([mf.image_bytes(f, (40, 30)) for f in ("JPEG", "PNG", "WEBP")]),
            st.integers(min_value=0, max_value=400),
            st.binary(min_size=1, max_size=16),
        ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]) :]),
    )
)
def test_any_bytes_are_a_photo_or_invalid_input(data):
    try:
        result = media.process_image(mf.upload(data, "x.jpg"))
    except InvalidInput as exc:
        errors = exc.errors
    else:
        assert Image.open(io.BytesIO(result.thumbnail)).format == "WEBP"
        return
    assert list(errors) == ["images"]
