"""Forms of the media section of the provider's area (photos, videos, voice sample).

They only collect input; the rules (types, sizes, counts) are in storefront.media.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .media import CAPTION_MAX, TITLE_MAX

# Hints for the browser's file picker only; the server decides by the bytes.
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
AUDIO_ACCEPT = "audio/*,.mp3,.m4a,.aac,.ogg,.opus,.wav,.webm"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by the service."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": IMAGE_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = list(data) if isinstance(data, (list, tuple)) else [data] if data else []
        if not items:
            super().clean(None, initial)  # "required" when nothing was chosen
            return []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ImageUploadForm(forms.Form):
    images = MultipleFileField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP. You can choose several at once."),
        error_messages={"required": _("Choose one or more photos to upload.")},
    )
    caption = forms.CharField(label=_("Caption (optional)"), max_length=CAPTION_MAX, required=False)


class CaptionForm(forms.Form):
    caption = forms.CharField(label=_("Caption"), max_length=CAPTION_MAX, required=False)


class VideoForm(forms.Form):
    url = forms.CharField(
        label=_("YouTube or Vimeo address"),
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://www.youtube.com/watch?v=…"}),
        error_messages={"required": _("Enter the address of a YouTube or Vimeo video.")},
    )
    title = forms.CharField(label=_("Title (optional)"), max_length=TITLE_MAX, required=False)


class VoiceForm(forms.Form):
    voice_sample = forms.FileField(
        label=_("Voice sample"),
        help_text=_("MP3, M4A, Ogg, WAV or WebM audio, a minute or so of you talking."),
        widget=forms.ClearableFileInput(attrs={"accept": AUDIO_ACCEPT}),
        error_messages={"required": _("Choose an audio file.")},
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])
