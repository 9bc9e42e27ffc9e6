"""Forms of the money pages. They collect input; the services decide what is valid, and
their field errors come back onto these forms (``core.forms.add_service_errors``).

Every form that moves money carries an idempotency key made when the page is drawn, so a
double click or a resubmitted page moves the money once.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aizuchi.core.forms import KeyedForm, yen_input

from . import gateways


def gateway_choices() -> list[tuple[str, str]]:
    return [(gateway.code, gateway.name) for gateway in gateways.enabled()]


class PointsPurchaseForm(KeyedForm):
    amount_yen = forms.CharField(label=_("Points to buy (¥1 = 1 point)"), widget=yen_input())
    gateway = forms.ChoiceField(label=_("How you pay"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = gateway_choices()
        if self.fields["gateway"].choices:  # the first (bank transfer by default) is chosen
            self.fields["gateway"].initial = self.fields["gateway"].choices[0][0]


POINTS_METHOD = "points"


class InvoicePayForm(KeyedForm):
    amount_yen = forms.CharField(label=_("Amount to pay"), widget=yen_input())
    method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(POINTS_METHOD, _("My points")), *gateway_choices()]


class CashReceivedForm(KeyedForm):
    amount_yen = forms.CharField(label=_("Amount received"), widget=yen_input())
    note = forms.CharField(label=_("Note (how it was paid)"), required=False, max_length=200)


class PayoutRequestForm(KeyedForm):
    amount_yen = forms.CharField(label=_("Amount to pay out"), widget=yen_input())


class PayoutAccountForm(forms.Form):
    """Where payouts go; the service checks every field."""

    bank_name = forms.CharField(label=_("bank"), required=False)
    branch_name = forms.CharField(label=_("branch"), required=False)
    # A plain field with a select: the service says what is wrong with every field at once.
    kind = forms.CharField(
        label=_("account type"),
        required=False,
        widget=forms.Select(
            choices=[
                ("ordinary", _("ordinary account (普通)")),
                ("current", _("current account (当座)")),
            ]
        ),
    )
    number = forms.CharField(
        label=_("account number"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder = forms.CharField(label=_("account holder (katakana)"), required=False)


class RefundForm(KeyedForm):
    amount_yen = forms.CharField(label=_("Amount to refund"), widget=yen_input())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class AdjustmentForm(KeyedForm):
    target = forms.ChoiceField(
        label=_("Balance"),
        choices=[("wallet", _("A customer's points")), ("earnings", _("A provider's earnings"))],
        widget=forms.RadioSelect,
    )
    owner_id = forms.CharField(
        label=_("Customer or provider number"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
    )
    amount_yen = forms.CharField(
        label=_("Amount (minus to take away)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class CommissionForm(forms.Form):
    provider_id = forms.CharField(
        label=_("Provider number"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
    )
    rate_percent = forms.CharField(
        label=_("Commission (%)"),
        required=False,
        help_text=_("Leave empty to use the default rate."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


# The staff overview's payout buttons: the forms refuse what no text may hold (a NUL);
# the payout services check lengths and emptiness, with their own messages.


class PayoutPaidForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference"), required=False)


class PayoutRejectForm(forms.Form):
    note = forms.CharField(label=_("Reason (shown to the provider)"), required=False)
