"""The provider's access policy form; the service checks every figure."""

from __future__ import annotations

from django import forms

from .models import AccessPolicy


class AccessPolicyForm(forms.ModelForm):
    class Meta:
        model = AccessPolicy
        fields = [
            "newcomers_by_reservation",
            "regulars_drop_in",
            "drop_ins_per_week",
            "bookings_per_week",
            "appointment_opens_after_minutes",
            "invited_tiers",
        ]
