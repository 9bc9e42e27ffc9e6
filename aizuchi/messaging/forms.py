"""Forms of the messaging pages; the services decide what is valid (their messages are
shown on the fields)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aizuchi.access.models import MessagePolicy
from aizuchi.core.forms import KeyedForm

from .models import MessageReport


class MessageForm(KeyedForm):
    """A message: its key is its client id, so sending the form twice stores it once.
    Photos come from ``request.FILES`` ("images"); the price is the one the page showed."""

    text = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-text": ""}),
    )
    price_yen = forms.CharField(required=False, widget=forms.HiddenInput)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this message?"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


# What staff choose (the decision's own labels say what was done, for the reporter).
DECISIONS = [
    (MessageReport.Decision.HIDE, _("Hide the message")),
    (MessageReport.Decision.WARN, _("Hide it and warn the sender")),
    (MessageReport.Decision.SUSPEND, _("Hide it and suspend the sender's account")),
    (MessageReport.Decision.DISMISS, _("No action needed")),
]


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note (the sender sees it with a warning)"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 500}),
    )


def _number(label, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1, **attrs}),
    )


class MessagePolicyForm(forms.Form):
    """Both audiences' policies and how paid messages are paid; the service checks every
    figure (access.services.message_policy_set)."""

    payment = forms.ChoiceField(label=_("Paid messages are"), choices=MessagePolicy.Payment.choices)

    def __init__(self, *args, policies: dict[str, MessagePolicy], **kwargs):
        initial = {"payment": next(iter(policies.values())).payment}
        for audience, policy in policies.items():
            for name in ("mode", "free_count", "free_period", "max_length", "price_yen"):
                initial[f"{audience}_{name}"] = getattr(policy, name)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for audience in policies:
            self.fields[f"{audience}_mode"] = forms.ChoiceField(
                label=_("Messages"), choices=MessagePolicy.Mode.choices, widget=forms.RadioSelect
            )
            self.fields[f"{audience}_free_count"] = _number(
                _("Free messages from each customer"), min=0, max=50
            )
            self.fields[f"{audience}_free_period"] = forms.ChoiceField(
                label=_("Counted"), choices=MessagePolicy.Period.choices
            )
            self.fields[f"{audience}_price_yen"] = _number(
                _("Price per message (yen; 0: no paid messages after the free ones)"),
                min=0,
                max=10000,
            )
            self.fields[f"{audience}_max_length"] = _number(
                _("Longest message (characters)"), min=20, max=2000
            )
        self.order_fields(["payment"])

    def audience_fields(self, audience: str) -> list:
        return [self[name] for name in self.fields if name.startswith(f"{audience}_")]

    @property
    def newcomers(self) -> list:
        return self.audience_fields(MessagePolicy.Audience.NEWCOMERS)

    @property
    def regulars(self) -> list:
        return self.audience_fields(MessagePolicy.Audience.REGULARS)
