"""Bank transfer or cash, confirmed by a person: works with no network at all."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import Gateway, NextStep


class ManualGateway(Gateway):
    code = "manual"
    name = _("Bank transfer or cash")
    description = _(
        "Transfer the amount to the account below with the reference as the sender's name, "
        "or pay in person. It is credited once staff confirm they received it."
    )
    confirmed_by_people = True

    def begin(self, payment) -> NextStep:
        bank = settings.AIZUCHI_BILLING["BANK_TRANSFER"]
        return NextStep(
            kind="instructions",
            lines=[
                (_("Bank"), f"{bank['bank']} {bank['branch']}"),
                (_("Account"), f"{bank['account_type']} {bank['account_number']}"),
                (_("Account holder"), bank["holder"]),
                (_("Reference (sender's name)"), payment_reference(payment)),
            ],
        )


def payment_reference(payment) -> str:
    """What the customer writes as the transfer's sender name so staff can match it."""
    return f"P{payment.pk:07d}"
