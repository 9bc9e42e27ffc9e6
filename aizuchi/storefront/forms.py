"""The storefront's forms: opening and editing a storefront, offerings and the standby
plan, search, media uploads, the blog editor. The services decide what is valid."""

from __future__ import annotations

import unicodedata

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import NameField

from .models import Category, Offering, Provider, StandbyWindow
from .selectors.providers import category_list
from .services.blog import (
    BODY_MAX,
    BODY_REQUIRED,
    BODY_TOO_LONG,
    TITLE_MAX,
    TITLE_REQUIRED,
    TITLE_TOO_LONG,
    normalize_newlines,
)
from .services.media import CAPTION_MAX
from .services.media import TITLE_MAX as VIDEO_TITLE_MAX
from .strings import NAME_REQUIRED


class ProviderOpenForm(forms.Form):
    display_name = NameField(
        label=_("display name"),
        max_length=Provider._meta.get_field("display_name").max_length,
        required_message=NAME_REQUIRED,
    )
    concept = forms.CharField(
        label=_("concept"),
        max_length=Provider._meta.get_field("concept").max_length,
        help_text=Provider._meta.get_field("concept").help_text,
    )
    categories = forms.MultipleChoiceField(
        label=_("categories"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.slug, c.name) for c in category_list()]


# --- The provider's own area: profile, prices and terms, standby plan -------------------


class ProviderProfileForm(forms.Form):
    """The profile as the provider edits it; the service has the last word on limits."""

    display_name = NameField(
        label=_("display name"),
        max_length=Provider._meta.get_field("display_name").max_length,
        required_message=NAME_REQUIRED,
    )
    concept = forms.CharField(
        label=_("concept"),
        max_length=Provider._meta.get_field("concept").max_length,
        help_text=Provider._meta.get_field("concept").help_text,
    )
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=Provider._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Who you are, how you listen, what callers can expect."),
    )
    categories = forms.MultipleChoiceField(
        label=_("categories"), widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("specialist topics"),
        required=False,
        max_length=500,
        help_text=_("Up to 10 short tags, separated by commas or 、 (e.g. 介護、転職、子育て)."),
    )
    accepts_newcomers = forms.BooleanField(label=_("I welcome newcomers"), required=False)
    is_listed = forms.BooleanField(label=_("Show me in search and listings"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.slug, c.name) for c in category_list()]

    @classmethod
    def initial_for(cls, provider: Provider) -> dict:
        return {
            "display_name": provider.display_name,
            "concept": provider.concept,
            "description": provider.description,
            "categories": [c.slug for c in provider.categories.all()],
            "tags": "、".join(tag.name for tag in provider.tags.all()),
            "accepts_newcomers": provider.accepts_newcomers,
            "is_listed": provider.is_listed,
        }


class OfferingForm(forms.Form):
    """One channel's price and terms. Used with ``prefix=<channel>``."""

    price_per_minute = forms.IntegerField(
        label=_("price per minute (yen)"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    rounding = forms.ChoiceField(label=_("counting"), choices=Offering.Rounding.choices)
    first_free_minutes = forms.IntegerField(
        label=_("free minutes on a customer's first session"),
        required=False,
        min_value=0,
        initial=0,
    )
    first_session_cap_minutes = forms.IntegerField(
        label=_("longest first session (minutes)"),
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    session_cap_minutes = forms.IntegerField(
        label=_("longest session, every time (minutes)"),
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    payment = forms.ChoiceField(label=_("payment"), choices=Offering.Payment.choices)
    is_active = forms.BooleanField(label=_("open for sale"), required=False, initial=True)

    @classmethod
    def initial_for(cls, offering: Offering | None) -> dict:
        if offering is None:
            return {"rounding": Offering.Rounding.PER_MINUTE, "first_free_minutes": 0}
        return {
            "price_per_minute": offering.price_per_minute,
            "rounding": offering.rounding,
            "first_free_minutes": offering.first_free_minutes,
            "first_session_cap_minutes": offering.first_session_cap_minutes,
            "session_cap_minutes": offering.session_cap_minutes,
            "payment": offering.payment,
            "is_active": offering.is_active,
        }


def _weekday_choices() -> list[tuple[int, str]]:
    return list(WEEKDAYS.items())


class StandbyWindowForm(forms.Form):
    """One row of the weekly plan: day, from, length, kind, and whether an appointment
    window's bookable times are kept for newcomers."""

    # The page groups rows by day, so the day rides along with each row unseen.
    weekday = forms.TypedChoiceField(
        label=_("day"),
        coerce=int,
        choices=_weekday_choices,
        initial=0,
        widget=forms.HiddenInput,
    )
    start_time = forms.TimeField(
        label=_("from"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    minutes = forms.IntegerField(
        label=_("length (minutes)"),
        widget=forms.NumberInput(attrs={"step": 15, "min": 15, "max": 1440}),
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=StandbyWindow.Kind.choices, initial=StandbyWindow.Kind.OPEN
    )
    # Checked by the service (a field error there), so any text reaches it.
    tiers_only = forms.CharField(
        label=_("only ranks 1 to"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": 10, "placeholder": _("everyone")}),
    )
    newcomers_only = forms.BooleanField(label=_("newcomers only"), required=False)

    def has_changed(self) -> bool:
        """A row counts once a time or a length is typed; a blank row is skipped."""
        if not self.is_bound:
            return super().has_changed()
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in ("start_time", "minutes")
        )


class BaseStandbyWindowFormSet(forms.BaseFormSet):
    def _construct_form(self, i, **kwargs):
        # Any row may be left blank (a row added and not filled in), not only the extra ones.
        return super()._construct_form(i, empty_permitted=True, **kwargs)


StandbyWindowFormSet = forms.formset_factory(
    StandbyWindowForm,
    formset=BaseStandbyWindowFormSet,
    extra=0,
    can_delete=True,
    max_num=1000,
    absolute_max=1000,
)


SORTS = (
    ("recommended", _("Recommended")),
    ("rank", _("Rank")),
    ("rating", _("Rating")),
    ("price", _("Price (lowest first)")),
    ("newest", _("Newest")),
)
PRICE_LIMIT = 100_000  # yen per minute; anything above is a typing mistake
QUERY_MAX = 100
MAX_PAGE = 100  # 2,000 results; past that, narrow the search


class SearchText(forms.CharField):
    """Free text where control characters (a pasted NUL, a tab) are just spaces."""

    def to_python(self, value):
        value = super().to_python(value)
        return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in value)


class ProviderSearchForm(forms.Form):
    q = SearchText(
        label=_("Search"),
        required=False,
        max_length=QUERY_MAX,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("e.g. 恋愛, 仕事, 傾聴"),
                "enterkeyhint": "search",
            }
        ),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Voice or chat")), *Offering.Channel.choices],
    )
    price_min = forms.IntegerField(
        label=_("From (yen/min)"), required=False, min_value=1, max_value=PRICE_LIMIT
    )
    price_max = forms.IntegerField(
        label=_("To (yen/min)"), required=False, min_value=1, max_value=PRICE_LIMIT
    )
    online = forms.BooleanField(label=_("Online now"), required=False)
    newcomers = forms.BooleanField(label=_("Accepting newcomers now"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)
    # Past MAX_PAGE the page is MAX_PAGE (deep offsets cost; nobody reads that far).
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)

    def __init__(self, *args, categories: list[Category], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category.slug, category.name) for category in categories
        ]
        for name in ("price_min", "price_max"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "placeholder": "¥"})

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest."))
        data["sort"] = data.get("sort") or "recommended"
        data["page"] = min(data.get("page") or 1, MAX_PAGE)
        return data


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
    title = forms.CharField(label=_("Title (optional)"), max_length=VIDEO_TITLE_MAX, required=False)


class VoiceForm(forms.Form):
    voice_sample = forms.FileField(
        label=_("Voice sample"),
        help_text=_("MP3, M4A, Ogg, WAV or WebM audio, a minute or so of you talking."),
        widget=forms.ClearableFileInput(attrs={"accept": AUDIO_ACCEPT}),
        error_messages={"required": _("Choose an audio file.")},
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


# --- Form --------------------------------------------------------------------------------


class BlogPostForm(forms.Form):
    """The editor. Limits are checked here for the page and again by the services."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={"required": TITLE_REQUIRED, "max_length": TITLE_TOO_LONG},
    )
    body = forms.CharField(
        label=_("Post (Markdown)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "maxlength": BODY_MAX}),
        help_text=_(
            "Markdown: blank line between paragraphs, ## heading, **bold**, *italic*, "
            "- list, > quote, [link](https://…). No images or HTML."
        ),
        error_messages={"required": BODY_REQUIRED},
    )
    publish = forms.BooleanField(label=_("Published (visible on your page)"), required=False)

    def clean_body(self) -> str:
        body = normalize_newlines(self.cleaned_data["body"])
        if not body.strip():
            raise forms.ValidationError(BODY_REQUIRED, code="required")
        if len(body.strip("\n")) > BODY_MAX:
            raise forms.ValidationError(BODY_TOO_LONG, code="max_length")
        return body
