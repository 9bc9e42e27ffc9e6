"""The media section of the provider's own area: photos, videos and the voice sample.

Every change is a POST that redirects back to the page (no JavaScript needed); a refusal
re-renders the page with the field's error and status 400.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from aizuchi.core.errors import InvalidInput
from aizuchi.core.forms import add_service_errors

from ..area import provider_area, render_manage
from ..forms import CaptionForm, ImageUploadForm, MoveForm, VideoForm, VoiceForm
from ..selectors import media as media_reads
from ..services import media

PHOTOS_ADDED = _("Photos added.")
PHOTO_SAVED = _("Caption saved.")
PHOTO_DELETED = _("Photo deleted.")
VIDEO_ADDED = _("Video added.")
VIDEO_DELETED = _("Video removed.")
VOICE_SAVED = _("Voice sample saved.")
VOICE_REMOVED = _("Voice sample removed.")
OFFSETS = {"up": -1, "down": 1}


def _page(request: HttpRequest, provider, *, status: int = 200, **forms) -> HttpResponse:
    limits = media.limits()
    images = media_reads.image_list(provider=provider)
    videos = media_reads.video_list(provider=provider)
    context = {
        "images": images,
        "videos": videos,
        "images_max": limits["IMAGES_MAX"],
        "videos_max": limits["VIDEOS_MAX"],
        "images_full": len(images) >= limits["IMAGES_MAX"],
        "videos_full": len(videos) >= limits["VIDEOS_MAX"],
        "image_max_mb": limits["IMAGE_MAX_BYTES"] // (1024 * 1024),
        "voice_max_mb": limits["VOICE_MAX_BYTES"] // (1024 * 1024),
        "upload_form": forms.get("upload_form") or ImageUploadForm(),
        "video_form": forms.get("video_form") or VideoForm(),
        "voice_form": forms.get("voice_form") or VoiceForm(),
        "caption_form": forms.get("caption_form"),
        "caption_image_id": forms.get("caption_image_id"),
        "order_error": forms.get("order_error"),
    }
    return render_manage(request, "storefront/manage/media.html", context, status=status)


def _back(anchor: str) -> HttpResponse:
    return redirect(f"{reverse('storefront:manage_media')}#{anchor}")


@require_GET
@provider_area("media")
def manage_media(request: HttpRequest, *, provider) -> HttpResponse:
    return _page(request, provider)


@require_POST
@provider_area("media")
def images_add(request: HttpRequest, *, provider) -> HttpResponse:
    form = ImageUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            media.images_add(
                provider=provider,
                uploads=form.cleaned_data["images"],
                caption=form.cleaned_data["caption"],
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, PHOTOS_ADDED)
            return _back("photos")
    return _page(request, provider, status=400, upload_form=form)


@require_POST
@provider_area("media")
def image_caption(request: HttpRequest, image_id: int, *, provider) -> HttpResponse:
    form = CaptionForm(request.POST)
    if form.is_valid():
        try:
            media.image_update(
                provider=provider, image_id=image_id, caption=form.cleaned_data["caption"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, PHOTO_SAVED)
            return _back(f"photo-{image_id}")
    return _page(request, provider, status=400, caption_form=form, caption_image_id=image_id)


def _offset(request: HttpRequest) -> int | None:
    form = MoveForm(request.POST)
    return OFFSETS[form.cleaned_data["direction"]] if form.is_valid() else None


@require_POST
@provider_area("media")
def image_move(request: HttpRequest, image_id: int, *, provider) -> HttpResponse:
    offset = _offset(request)
    if offset is None:
        return _page(request, provider, status=400)
    media.image_move(provider=provider, image_id=image_id, offset=offset)
    return _back(f"photo-{image_id}")


@require_POST
@provider_area("media")
def images_order(request: HttpRequest, *, provider) -> HttpResponse:
    """The whole order at once (``ids`` repeated), for scripts and drag-and-drop."""
    try:
        media.images_reorder(provider=provider, image_ids=request.POST.getlist("ids"))
    except InvalidInput as exc:
        return _page(request, provider, status=400, order_error=exc.message)
    return _back("photos")


@require_POST
@provider_area("media")
def image_delete(request: HttpRequest, image_id: int, *, provider) -> HttpResponse:
    media.image_delete(provider=provider, image_id=image_id)
    messages.success(request, PHOTO_DELETED)
    return _back("photos")


@require_POST
@provider_area("media")
def video_add(request: HttpRequest, *, provider) -> HttpResponse:
    form = VideoForm(request.POST)
    if form.is_valid():
        try:
            media.video_add(
                provider=provider, url=form.cleaned_data["url"], title=form.cleaned_data["title"]
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, VIDEO_ADDED)
            return _back("videos")
    return _page(request, provider, status=400, video_form=form)


@require_POST
@provider_area("media")
def video_move(request: HttpRequest, video_id: int, *, provider) -> HttpResponse:
    offset = _offset(request)
    if offset is None:
        return _page(request, provider, status=400)
    media.video_move(provider=provider, video_id=video_id, offset=offset)
    return _back(f"video-{video_id}")


@require_POST
@provider_area("media")
def video_delete(request: HttpRequest, video_id: int, *, provider) -> HttpResponse:
    media.video_delete(provider=provider, video_id=video_id)
    messages.success(request, VIDEO_DELETED)
    return _back("videos")


@require_POST
@provider_area("media")
def voice_set(request: HttpRequest, *, provider) -> HttpResponse:
    form = VoiceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            media.voice_sample_set(provider=provider, upload=form.cleaned_data["voice_sample"])
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, VOICE_SAVED)
            return _back("voice")
    return _page(request, provider, status=400, voice_form=form)


@require_POST
@provider_area("media")
def voice_remove(request: HttpRequest, *, provider) -> HttpResponse:
    media.voice_sample_remove(provider=provider)
    messages.success(request, VOICE_REMOVED)
    return _back("voice")


# Included by storefront/urls.py under "me/media/" (names stay in the storefront namespace).
urlpatterns = [
    path("", manage_media, name="manage_media"),
    path("photos/", images_add, name="manage_media_images_add"),
    path("photos/order/", images_order, name="manage_media_images_order"),
    path("photos/<int:image_id>/caption/", image_caption, name="manage_media_image_caption"),
    path("photos/<int:image_id>/move/", image_move, name="manage_media_image_move"),
    path("photos/<int:image_id>/delete/", image_delete, name="manage_media_image_delete"),
    path("videos/", video_add, name="manage_media_video_add"),
    path("videos/<int:video_id>/move/", video_move, name="manage_media_video_move"),
    path("videos/<int:video_id>/delete/", video_delete, name="manage_media_video_delete"),
    path("voice/", voice_set, name="manage_media_voice"),
    path("voice/delete/", voice_remove, name="manage_media_voice_delete"),
]
