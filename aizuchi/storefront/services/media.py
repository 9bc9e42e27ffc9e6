"""A provider's photos, video links and voice sample: every change goes through here.

Uploads are judged by what they are, never by their name or the browser's word: photos
are decoded with Pillow and re-encoded (orientation applied, every byte of metadata
left behind), audio is recognised by its magic bytes. Counts are checked with the
provider's row locked, so two uploads at once cannot pass the limit together. Files
leave storage only after the transaction that dropped them has committed.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from aizuchi.core.effects import on_commit
from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.core.models import max_length

from ..models import Provider, ProviderImage, VideoLink
from ..selectors.media import image_get_for_owner, video_get_for_owner
from ..strings import IMAGE_NOT_FOUND, VIDEO_NOT_FOUND
from .videos import parse_video_url

# --- Messages ------------------------------------------------------------------------------


IMAGE_REQUIRED = _("Choose one or more photos to upload.")
IMAGE_TOO_MANY = _(
    "You can show at most %(limit)d photos. You have %(count)d; remove some before adding more."
)
IMAGE_TOO_LARGE = _("%(name)s is larger than %(limit)d MB.")
IMAGE_NOT_AN_IMAGE = _("%(name)s is not a JPEG, PNG or WebP photo (or the file is damaged).")
IMAGE_TOO_MANY_PIXELS = _(
    "%(name)s has too many pixels. Use a photo of at most %(limit)d megapixels."
)
CAPTION_TOO_LONG = _("Keep the caption to %(limit)d characters.")
ORDER_MISMATCH = _("The order must list each of your items exactly once.")
VIDEO_TOO_MANY = _("You can show at most %(limit)d videos. Remove one before adding another.")
VIDEO_DUPLICATE = _("This video is already on your page.")
VIDEO_TITLE_TOO_LONG = _("Keep the title to %(limit)d characters.")
VOICE_REQUIRED = _("Choose an audio file.")
VOICE_TOO_LARGE = _("The voice sample is larger than %(limit)d MB. Record a shorter one.")
VOICE_WRONG_TYPE = _(
    "The voice sample must be an audio file: MP3, M4A (AAC), Ogg (Opus or Vorbis), WAV or WebM."
)

CAPTION_MAX = max_length(ProviderImage, "caption")
TITLE_MAX = max_length(VideoLink, "title")
DECODERS = ("JPEG", "PNG", "WEBP")  # the only Pillow plugins ever tried
ACCEPTED_IMAGE_FORMATS = (*DECODERS, "MPO")  # MPO: how Pillow reads many phones' JPEGs


def limits() -> dict:
    return settings.AIZUCHI_STOREFRONT_MEDIA


def _mb(n: int) -> int:
    return n // (1024 * 1024)


# --- Photos ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessedImage:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _name(upload) -> str:
    return (getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:60] or "?"


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours as the camera meant them, so dropping the ICC profile changes little."""
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output = "RGBA" if im.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            im, source, ImageCms.createProfile("sRGB"), outputMode=output
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im
    return converted if converted is not None else im


def _webp(im: Image.Image, side: int) -> tuple[bytes, int, int]:
    im = im.copy()
    im.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new file with pixels only: no exif, xmp or icc_profile is passed on.
    im.save(out, "WEBP", quality=82, method=4, exif=b"", xmp=b"", icc_profile=None)
    return out.getvalue(), im.width, im.height


def process_image(upload) -> ProcessedImage:
    """Decode an uploaded photo and make the WebP image and thumbnail that are stored.

    Raises ``InvalidInput({"images": [...]})`` for anything but a sound JPEG, PNG or WebP
    within the size and pixel limits.
    """
    name = _name(upload)
    max_bytes = limits()["IMAGE_MAX_BYTES"]
    max_pixels = limits()["IMAGE_MAX_PIXELS"]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise InvalidInput({"images": [IMAGE_TOO_LARGE % {"name": name, "limit": _mb(max_bytes)}]})
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput({"images": [IMAGE_TOO_LARGE % {"name": name, "limit": _mb(max_bytes)}]})
    not_image = InvalidInput({"images": [IMAGE_NOT_AN_IMAGE % {"name": name}]})
    too_big = InvalidInput(
        {"images": [IMAGE_TOO_MANY_PIXELS % {"name": name, "limit": max_pixels // 1_000_000}]}
    )
    if not data:
        raise not_image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=DECODERS) as opened:
                im: Image.Image = opened
                if im.format not in ACCEPTED_IMAGE_FORMATS:
                    raise not_image
                width, height = im.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise too_big
                side = limits()["IMAGE_MAX_SIDE"]
                if im.format in ("JPEG", "MPO"):
                    # Let libjpeg decode big photos at 1/2, 1/4 or 1/8 scale.
                    im.draft("RGB", (side, side))
                im.seek(0)  # the first frame of an animation
                im.load()
                icc = im.info.get("icc_profile")
                im = ImageOps.exif_transpose(im)
                has_alpha = im.mode in ("RGBA", "LA", "PA") or (
                    im.mode == "P" and "transparency" in im.info
                )
                im = _to_srgb(im, icc)
                im = im.convert("RGBA" if has_alpha else "RGB")
                im.info = {}
                image, width, height = _webp(im, side)
                thumbnail, _w, _h = _webp(im, limits()["THUMBNAIL_SIDE"])
    except Image.DecompressionBombError:
        raise too_big from None
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise not_image from None
    except Exception:  # a damaged file may fail anywhere inside a decoder
        raise not_image from None
    return ProcessedImage(image=image, thumbnail=thumbnail, width=width, height=height)


def _locked(provider: Provider) -> Provider:
    return Provider.objects.select_for_update().get(pk=provider.pk)


def _delete_files_on_commit(names: Iterable[str | None]) -> None:
    found = [name for name in names if name]

    def delete() -> None:
        for name in found:
            default_storage.delete(name)

    if found:
        on_commit(delete)


def _clean_caption(caption: str) -> str:
    caption = (caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise InvalidInput({"caption": [CAPTION_TOO_LONG % {"limit": CAPTION_MAX}]})
    return caption


def images_add(*, provider: Provider, uploads: Sequence, caption: str = "") -> list[ProviderImage]:
    """Add photos to the end of the provider's gallery: all of them, or none.

    Every file is checked; the count limit applies to what is there plus all of these.
    """
    caption = _clean_caption(caption)
    uploads = list(uploads)
    if not uploads:
        raise InvalidInput({"images": [IMAGE_REQUIRED]})
    limit = limits()["IMAGES_MAX"]
    count = ProviderImage.objects.filter(provider=provider).count()
    if count + len(uploads) > limit:  # cheap refusal before any decoding
        raise InvalidInput({"images": [IMAGE_TOO_MANY % {"limit": limit, "count": count}]})
    errors: list = []
    processed: list[ProcessedImage] = []
    for upload in uploads:
        try:
            processed.append(process_image(upload))
        except InvalidInput as exc:
            errors.extend(exc.errors["images"])
    if errors:
        raise InvalidInput({"images": errors})

    written: list[str] = []
    try:
        with transaction.atomic():
            _locked(provider)
            existing = list(
                ProviderImage.objects.filter(provider=provider).values_list("position", flat=True)
            )
            if len(existing) + len(processed) > limit:
                raise InvalidInput(
                    {"images": [IMAGE_TOO_MANY % {"limit": limit, "count": len(existing)}]}
                )
            position = max(existing, default=-1) + 1
            created = []
            for offset, item in enumerate(processed):
                obj = ProviderImage(provider=provider, caption=caption, position=position + offset)
                obj.image.save("image.webp", ContentFile(item.image), save=False)
                written.append(obj.image.name or "")
                obj.thumbnail.save("thumbnail.webp", ContentFile(item.thumbnail), save=False)
                written.append(obj.thumbnail.name or "")
                obj.width, obj.height = item.width, item.height
                obj.save()
                created.append(obj)
            _touch(provider)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return created


def image_update(*, provider: Provider, image_id: int, caption: str) -> ProviderImage:
    caption = _clean_caption(caption)
    image = image_get_for_owner(provider=provider, image_id=image_id)
    image.caption = caption
    image.save(update_fields=["caption"])
    return image


def image_delete(*, provider: Provider, image_id: int) -> None:
    with transaction.atomic():
        _locked(provider)
        image = image_get_for_owner(provider=provider, image_id=image_id)
        names = [image.image.name, image.thumbnail.name]
        image.delete()
        _renumber(ProviderImage, provider)
        _delete_files_on_commit(names)
        _touch(provider)


def _ids(values, not_found) -> list[int]:
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise not_found from None


def _reorder(model, provider: Provider, ids: Sequence, not_found: NotFound, field: str) -> None:
    wanted = _ids(ids, not_found)
    current = list(
        model.objects.filter(provider=provider)
        .order_by("position", "id")
        .values_list("id", flat=True)
    )
    if set(wanted) - set(current):
        raise not_found
    if len(wanted) != len(current) or set(wanted) != set(current):
        raise InvalidInput({field: [ORDER_MISMATCH]})
    _set_positions(model, wanted)


def _set_positions(model, ids: Sequence[int]) -> None:
    rows = [model(pk=pk, position=position) for position, pk in enumerate(ids)]
    model.objects.bulk_update(rows, ["position"])


def _renumber(model, provider: Provider) -> None:
    ids = model.objects.filter(provider=provider).order_by("position", "id")
    _set_positions(model, list(ids.values_list("id", flat=True)))


def _move(model, provider: Provider, item_id, offset: int, not_found: NotFound) -> None:
    with transaction.atomic():
        _locked(provider)
        [item_pk] = _ids([item_id], not_found)
        ids = list(
            model.objects.filter(provider=provider)
            .order_by("position", "id")
            .values_list("id", flat=True)
        )
        if item_pk not in ids:
            raise not_found
        i = ids.index(item_pk)
        j = min(max(i + offset, 0), len(ids) - 1)
        ids.insert(j, ids.pop(i))
        _set_positions(model, ids)


def images_reorder(*, provider: Provider, image_ids: Sequence[int]) -> None:
    """Put the provider's photos in this order; the ids must be exactly theirs."""
    with transaction.atomic():
        _locked(provider)
        _reorder(ProviderImage, provider, image_ids, NotFound(IMAGE_NOT_FOUND), "image_ids")


def image_move(*, provider: Provider, image_id: int, offset: int) -> None:
    """Move one photo ``offset`` places (-1: one earlier, +1: one later)."""
    _move(ProviderImage, provider, image_id, offset, NotFound(IMAGE_NOT_FOUND))


# --- Videos ------------------------------------------------------------------------------------


def video_add(*, provider: Provider, url: str, title: str = "") -> VideoLink:
    """Add a YouTube or Vimeo video to the end of the provider's list."""
    title = (title or "").strip()
    errors: dict[str, list] = {}
    video = None
    try:
        video = parse_video_url(url)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if len(title) > TITLE_MAX:
        errors["title"] = [VIDEO_TITLE_TOO_LONG % {"limit": TITLE_MAX}]
    if errors or video is None:
        raise InvalidInput(errors)
    limit = limits()["VIDEOS_MAX"]
    try:
        with transaction.atomic():
            _locked(provider)
            existing = VideoLink.objects.filter(provider=provider)
            if existing.filter(platform=video.platform, video_id=video.video_id).exists():
                raise InvalidInput({"url": [VIDEO_DUPLICATE]})
            positions = list(existing.values_list("position", flat=True))
            if len(positions) >= limit:
                raise InvalidInput({"url": [VIDEO_TOO_MANY % {"limit": limit}]})
            link = VideoLink.objects.create(
                provider=provider,
                url=video.url,
                platform=video.platform,
                video_id=video.video_id,
                title=title,
                position=max(positions, default=-1) + 1,
            )
            _touch(provider)
    except IntegrityError:
        raise InvalidInput({"url": [VIDEO_DUPLICATE]}) from None
    return link


def video_delete(*, provider: Provider, video_id: int) -> None:
    with transaction.atomic():
        _locked(provider)
        video_get_for_owner(provider=provider, video_id=video_id).delete()
        _renumber(VideoLink, provider)
        _touch(provider)


def videos_reorder(*, provider: Provider, video_ids: Sequence[int]) -> None:
    """Put the provider's videos in this order; the ids must be exactly theirs."""
    with transaction.atomic():
        _locked(provider)
        _reorder(VideoLink, provider, video_ids, NotFound(VIDEO_NOT_FOUND), "video_ids")


def video_move(*, provider: Provider, video_id: int, offset: int) -> None:
    _move(VideoLink, provider, video_id, offset, NotFound(VIDEO_NOT_FOUND))


# --- Voice sample ---------------------------------------------------------------------------


# (content type, file extension) by what the bytes are.
MP3 = ("audio/mpeg", "mp3")
AAC = ("audio/aac", "aac")
MP4_AUDIO = ("audio/mp4", "m4a")
OGG_OPUS = ("audio/ogg", "opus")
OGG_VORBIS = ("audio/ogg", "ogg")
WAV = ("audio/wav", "wav")
WEBM_AUDIO = ("audio/webm", "webm")


def _mpeg_audio_at(data: bytes, i: int) -> tuple[str, str] | None:
    if i + 4 > len(data) or data[i] != 0xFF or data[i + 1] & 0xE0 != 0xE0:
        return None
    b1, b2 = data[i + 1], data[i + 2]
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    if layer == 0:  # the ADTS header of raw AAC
        return AAC if b1 & 0xF6 == 0xF0 and (b2 >> 2) & 0xF < 13 else None
    if version == 1 or (b2 >> 4) == 0xF or (b2 >> 2) & 3 == 3:
        return None
    return MP3


def _sniff_mpeg(data: bytes) -> tuple[str, str] | None:
    i = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = 0
        for b in data[6:10]:
            if b & 0x80:
                return None
            size = (size << 7) | b
        i = 10 + size + (10 if data[5] & 0x10 else 0)
        while i < len(data) and i < 10 + size + 65536 and data[i] == 0:  # padding
            i += 1
        if i >= len(data):
            return None
    return _mpeg_audio_at(data, i)


def _mp4_boxes(data: bytes, start: int, end: int):
    i = start
    while i + 8 <= end:
        size, header = int.from_bytes(data[i : i + 4], "big"), 8
        kind = data[i + 4 : i + 8]
        if size == 1:
            if i + 16 > end:
                return
            size, header = int.from_bytes(data[i + 8 : i + 16], "big"), 16
        elif size == 0:
            size = end - i
        if size < header or i + size > end:
            return
        yield kind, i + header, i + size
        i += size


def _sniff_mp4(data: bytes) -> tuple[str, str] | None:
    if data[4:8] != b"ftyp":
        return None
    handlers = set()
    for kind, start, end in _mp4_boxes(data, 0, len(data)):
        if kind != b"moov":
            continue
        for trak, t_start, t_end in _mp4_boxes(data, start, end):
            if trak != b"trak":
                continue
            for mdia, m_start, m_end in _mp4_boxes(data, t_start, t_end):
                if mdia != b"mdia":
                    continue
                for hdlr, h_start, h_end in _mp4_boxes(data, m_start, m_end):
                    if hdlr == b"hdlr" and h_end - h_start >= 12:
                        handlers.add(data[h_start + 8 : h_start + 12])
    return MP4_AUDIO if b"soun" in handlers and b"vide" not in handlers else None


def _sniff_ogg(data: bytes) -> tuple[str, str] | None:
    if data[:4] != b"OggS" or len(data) < 28:
        return None
    packet = data[27 + data[26] :]
    if packet.startswith(b"OpusHead"):
        return OGG_OPUS
    if packet.startswith(b"\x01vorbis"):
        return OGG_VORBIS
    return None


def _ebml_vint(data: bytes, i: int, *, is_id: bool):
    if i >= len(data) or data[i] == 0:
        return None
    length = 9 - data[i].bit_length()
    if length > 8 or i + length > len(data):
        return None
    value = int.from_bytes(data[i : i + length], "big")
    if is_id:
        return value, i + length, False
    all_ones = (1 << (7 * length)) - 1
    value &= all_ones
    return value, i + length, value == all_ones


def _ebml_elements(data: bytes, start: int, end: int):
    """(id, data start, data end, size unknown) of each element in [start, end)."""
    i = start
    while i < end:
        head = _ebml_vint(data, i, is_id=True)
        if head is None:
            return
        element, i, _unused = head
        size = _ebml_vint(data, i, is_id=False)
        if size is None:
            return
        length, i, unknown = size
        stop = end if unknown else i + length
        if stop > end:
            stop = end
        yield element, i, stop, unknown
        if unknown:
            return
        i = stop


EBML_HEADER, DOCTYPE, SEGMENT = 0x1A45DFA3, 0x4282, 0x18538067
TRACKS, TRACK_ENTRY, TRACK_TYPE, CLUSTER = 0x1654AE6B, 0xAE, 0x83, 0x1F43B675


def _sniff_webm(data: bytes) -> tuple[str, str] | None:
    if data[:4] != b"\x1a\x45\xdf\xa3":
        return None
    doc_type = None
    track_types = set()
    for element, start, end, _unknown in _ebml_elements(data, 0, len(data)):
        if element == EBML_HEADER:
            for child, c_start, c_end, _u in _ebml_elements(data, start, end):
                if child == DOCTYPE:
                    doc_type = data[c_start:c_end].rstrip(b"\x00")
        elif element == SEGMENT:
            for child, c_start, c_end, unknown in _ebml_elements(data, start, end):
                if child == CLUSTER or unknown:
                    break
                if child != TRACKS:
                    continue
                for entry, e_start, e_end, _u in _ebml_elements(data, c_start, c_end):
                    if entry != TRACK_ENTRY:
                        continue
                    for field, f_start, f_end, _u2 in _ebml_elements(data, e_start, e_end):
                        if field == TRACK_TYPE:
                            track_types.add(int.from_bytes(data[f_start:f_end], "big"))
            break
    if doc_type == b"webm" and 2 in track_types and 1 not in track_types:
        return WEBM_AUDIO
    return None


def audio_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of audio-only ``data``, or None for anything else."""
    if len(data) < 12:
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    for sniff in (_sniff_ogg, _sniff_webm, _sniff_mp4, _sniff_mpeg):
        try:
            found = sniff(data)
        except (IndexError, ValueError):
            found = None
        if found:
            return found
    return None


def voice_sample_set(*, provider: Provider, upload) -> Provider:
    """Set (or replace) the provider's voice sample; the old file goes after commit."""
    if upload is None:
        raise InvalidInput({"voice_sample": [VOICE_REQUIRED]})
    max_bytes = limits()["VOICE_MAX_BYTES"]
    too_large = InvalidInput({"voice_sample": [VOICE_TOO_LARGE % {"limit": _mb(max_bytes)}]})
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise too_large
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    kind = audio_type(data)
    if kind is None:
        raise InvalidInput({"voice_sample": [VOICE_WRONG_TYPE]})
    content_type, extension = kind

    new_name = ""
    try:
        with transaction.atomic():
            locked = _locked(provider)
            old_name = locked.voice_sample.name
            locked.voice_sample.save(f"voice.{extension}", ContentFile(data), save=False)
            new_name = locked.voice_sample.name or ""
            locked.voice_sample_type = content_type
            locked.updated_at = timezone.now()
            locked.save(update_fields=["voice_sample", "voice_sample_type", "updated_at"])
            _delete_files_on_commit([old_name])
    except BaseException:
        if new_name:
            default_storage.delete(new_name)
        raise
    provider.voice_sample = locked.voice_sample
    provider.voice_sample_type = content_type
    provider.updated_at = locked.updated_at
    return provider


def voice_sample_remove(*, provider: Provider) -> Provider:
    with transaction.atomic():
        locked = _locked(provider)
        old_name = locked.voice_sample.name
        Provider.objects.filter(pk=provider.pk).update(
            voice_sample="", voice_sample_type="", updated_at=timezone.now()
        )
        _delete_files_on_commit([old_name])
    provider.voice_sample = ""
    provider.voice_sample_type = ""
    return provider


def _touch(provider: Provider) -> None:
    Provider.objects.filter(pk=provider.pk).update(updated_at=timezone.now())
