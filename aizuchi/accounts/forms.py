from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import NameField

from .models import User


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    display_name = NameField(
        label=_("nickname"),
        required=False,
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
