from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import NameField

from .models import User
from .strings import TERMS_REQUIRED
from .time_zones import time_zone_choices


def nickname_field() -> NameField:
    return NameField(
        label=_("Nickname"),
        max_length=User._meta.get_field("display_name").max_length,
        help_text=_("Shown to the people you talk with. You can change it later."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )


class SignupForm(forms.Form):
    """What Aizuchi adds to allauth's sign-up (ACCOUNT_SIGNUP_FORM_CLASS): a nickname and
    consent to the terms of use and the privacy policy (the adapter saves both)."""

    display_name = nickname_field()
    accept_terms = forms.BooleanField(
        label=_("I agree to the terms of use and the privacy policy"),
        error_messages={"required": TERMS_REQUIRED},
    )

    def signup(self, request, user) -> None:
        """allauth's hook after the account is saved; the adapter has done the work."""


class FirstRunForm(forms.Form):
    display_name = nickname_field()
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class ProfileForm(forms.Form):
    display_name = NameField(
        label=_("nickname"),
        max_length=User._meta.get_field("display_name").max_length,
        help_text=User._meta.get_field("display_name").help_text,
    )
    time_zone = forms.ChoiceField(label=_("time zone"), choices=time_zone_choices)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    email_on_message = forms.BooleanField(
        label=_("E-mail me when messages wait unread"),
        required=False,
        help_text=_("At most one e-mail per conversation every few hours."),
    )
