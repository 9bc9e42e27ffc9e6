"""Forms of the booking pages; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import KeyedForm

from .models import AvailabilityChange, BookingSettings
from .services.slots import SETTING_LIMITS


class BookForm(KeyedForm):
    offering_id = forms.CharField(widget=forms.HiddenInput)
    start = forms.CharField(widget=forms.HiddenInput)
    # Set by the one-step form offered to newcomers who found the provider busy.
    favourite = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # What the customer would like to talk about; the service checks it.
    note = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    # Set by the confirmation step's button: choosing a time first shows what booking it
    # means (price, cancellation deadline and fee), and only this books.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RescheduleForm(forms.Form):
    start = forms.CharField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False)


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = ["confirm_instantly", *SETTING_LIMITS]
        widgets = {
            field: forms.NumberInput(attrs={"min": low, "max": high})
            for field, (low, high) in SETTING_LIMITS.items()
        }

    def validate_constraints(self) -> None:
        """The service checks every figure against its limits, with a message on the
        field; the model's check constraints (a bare "constraint violated" on the whole
        form) stay the database's last word."""


class AvailabilityChangeForm(forms.Form):
    date = forms.CharField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("kind"), choices=AvailabilityChange.Kind.choices)
    start_time = forms.CharField(
        label=_("from (empty: the whole day)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    minutes = forms.CharField(
        label=_("length (minutes)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 15, "max": 1440, "step": 15}),
    )
    newcomers_only = forms.BooleanField(label=_("for newcomers only"), required=False)
