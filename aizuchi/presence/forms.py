"""The provider's state switch (the standby console's buttons, which work without JS)."""

from __future__ import annotations

from django import forms

from .services import CHOSEN_STATES


class PresenceStateForm(forms.Form):
    state = forms.ChoiceField(choices=[(state.value, state.label) for state in CHOSEN_STATES])
    next = forms.CharField(required=False, widget=forms.HiddenInput)
