from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import NameField

from .models import Offering, Provider, StandbyWindow
from .selectors import category_list
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

    weekday = forms.TypedChoiceField(
        label=_("day"), coerce=int, choices=_weekday_choices, initial=0
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
    newcomers_only = forms.BooleanField(label=_("newcomers only"), required=False)


StandbyWindowFormSet = forms.formset_factory(
    StandbyWindowForm, extra=2, can_delete=True, max_num=1000, absolute_max=1000
)
