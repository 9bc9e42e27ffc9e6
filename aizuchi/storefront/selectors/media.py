"""A provider's photos, video links and voice sample: every change goes through here.

Uploads are judged by what they are, never by their name or the browser's word: photos
are decoded with Pillow and re-encoded (orientation applied, every byte of metadata
left behind), audio is recognised by its magic bytes. Counts are checked with the
provider's row locked, so two uploads at once cannot pass the limit together. Files
leave storage only after the transaction that dropped them has committed.
"""

from __future__ import annotations

from aizuchi.core.errors import NotFound

from ..models import Provider, ProviderImage, VideoLink
from ..strings import IMAGE_NOT_FOUND, VIDEO_NOT_FOUND

# --- Reads ---------------------------------------------------------------------------------


def image_list(*, provider: Provider) -> list[ProviderImage]:
    return list(ProviderImage.objects.filter(provider=provider).order_by("position", "id"))


def video_list(*, provider: Provider) -> list[VideoLink]:
    return list(VideoLink.objects.filter(provider=provider).order_by("position", "id"))


def image_get_for_owner(*, provider: Provider, image_id) -> ProviderImage:
    """One of ``provider``'s own photos; NotFound for anyone else's."""
    try:
        return ProviderImage.objects.get(pk=int(image_id), provider=provider)
    except (ProviderImage.DoesNotExist, ValueError, TypeError):
        raise NotFound(IMAGE_NOT_FOUND) from None


def video_get_for_owner(*, provider: Provider, video_id) -> VideoLink:
    """One of ``provider``'s own video links; NotFound for anyone else's."""
    try:
        return VideoLink.objects.get(pk=int(video_id), provider=provider)
    except (VideoLink.DoesNotExist, ValueError, TypeError):
        raise NotFound(VIDEO_NOT_FOUND) from None
