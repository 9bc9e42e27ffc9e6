"""Forms of the event pages; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import lazy_format
from aizuchi.core.forms import KeyedForm, yen_input

from .models import Event

LOCAL = "%Y-%m-%dT%H:%M"
UP_TO_TIER = _("tiers up to %(tier)s")


def _when(**attrs) -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}, format=LOCAL)


class EventForm(forms.Form):
    """An event as the provider writes it; times in their own zone (the page's)."""

    title = forms.CharField(label=_("title"), max_length=80)
    kind = forms.ChoiceField(label=_("kind"), choices=Event.Kind.choices)
    series_title = forms.CharField(
        label=_("series (optional, e.g. “monthly tea party”)"), max_length=80, required=False
    )
    description = forms.CharField(
        label=_("description"), max_length=2000, required=False, widget=forms.Textarea
    )
    starts_at = forms.DateTimeField(label=_("starts at"), widget=_when(), input_formats=[LOCAL])
    length_minutes = forms.IntegerField(
        label=_("length (minutes)"), initial=90, min_value=15, max_value=1440
    )
    price_yen = forms.IntegerField(
        label=_("price (yen, 0 for free)"),
        initial=0,
        min_value=0,
        max_value=1_000_000,
        widget=yen_input(min=0),
    )
    payment = forms.ChoiceField(label=_("payment"), choices=Event.Payment.choices)
    capacity = forms.IntegerField(label=_("capacity"), initial=6, min_value=1, max_value=500)
    newcomer_seats = forms.IntegerField(
        label=_("seats kept for newcomers"), initial=0, min_value=0, max_value=500
    )
    audience = forms.ChoiceField(
        label=_("who may see and register"), choices=Event.Audience.choices
    )
    invited_tiers = forms.TypedChoiceField(
        label=_("also invite customers in tiers"),
        choices=(),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("For an event by invitation: your customers whose card is in these tiers."),
    )
    registration_closes_at = forms.DateTimeField(
        label=_("registration closes at (empty: at the start)"),
        required=False,
        widget=_when(),
        input_formats=[LOCAL],
    )
    cancel_free_hours = forms.IntegerField(
        label=_("free cancellation until (hours before)"), initial=24, min_value=0, max_value=720
    )
    late_cancel_percent = forms.IntegerField(
        label=_("charged for a late cancellation (%)"), initial=50, min_value=0, max_value=100
    )
    offer_hold_hours = forms.IntegerField(
        label=_("a freed seat is held for the next person for (hours)"),
        initial=12,
        min_value=1,
        max_value=168,
    )
    place = forms.CharField(label=_("place"), max_length=120, required=False)
    map_url = forms.URLField(label=_("map link"), max_length=300, required=False)
    meeting_point = forms.CharField(
        label=_("meeting point (shown to confirmed attendees only)"),
        max_length=300,
        required=False,
    )
    invite_reply = forms.CharField(
        label=_("your reply when a customer asks to meet (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Sent with one click from a message thread, with the invitation. You may use "
            "{name}, {title}, {date} and {url}; the link is added when you leave out {url}. "
            "Empty: a polite reply of ours."
        ),
    )

    def __init__(self, *args, tier_names: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        names = tier_names or {}
        # "本命まで", "大切まで" …: tiers 1 to this one.
        self.fields["invited_tiers"].choices = [("", _("only the customers I invite"))] + [
            (level, lazy_format(UP_TO_TIER, tier=name)) for level, name in sorted(names.items())
        ]

    @classmethod
    def for_event(cls, event: Event, **kwargs) -> EventForm:
        initial = {name: getattr(event, name) for name in cls.base_fields if hasattr(event, name)}
        initial["series_title"] = event.series.title if event.series else ""
        return cls(initial=initial, **kwargs)


class RegisterForm(KeyedForm):
    pass


class InviteForm(forms.Form):
    customers = forms.MultipleChoiceField(
        label=_("customers to invite"), widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].choices = [(c.pk, str(c.public_name)) for c in customers]
