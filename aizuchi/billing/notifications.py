"""The kinds of notification the billing app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register, present_money

KINDS: dict[str, Kind] = {
    "points_added": Kind(
        title=_("¥%(amount)s in points added"),
        body=_("Your payment arrived and the points are in your wallet."),
        present=present_money,
    ),
    "invoice_issued": Kind(
        title=_("Invoice from %(provider)s: ¥%(amount)s"),
        body=_("Please pay by %(due)s. You can pay with points or by bank transfer."),
        present=present_money,
    ),
    "invoice_due_soon": Kind(
        title=_("Your invoice from %(provider)s is due %(due)s"),
        body=_("¥%(amount)s is still open. Paying on time keeps your next session free to start."),
        present=present_money,
    ),
    "invoice_overdue": Kind(
        title=_("Your invoice from %(provider)s is past due"),
        body=_(
            "¥%(amount)s was due %(due)s. Until it is paid, new sessions with %(provider)s cannot start."  # noqa: E501
        ),
        present=present_money,
    ),
    "invoice_paid": Kind(
        title=_("%(customer)s paid ¥%(amount)s"),
        body=_("The payment is recorded against their invoice and counts in your earnings."),
        present=present_money,
    ),
    "refund_issued": Kind(
        title=_("¥%(amount)s refunded"),
        body=_(
            "A charge for your session with %(provider)s was refunded; any unpaid invoice was reduced first, the rest returned as points."  # noqa: E501
        ),
        present=present_money,
    ),
    "payout_paid": Kind(
        title=_("Payout of ¥%(amount)s sent"),
        body=_("The transfer to your bank account has been made."),
        present=present_money,
    ),
    "payout_rejected": Kind(
        title=_("Payout of ¥%(amount)s not approved"),
        body=_("The amount is back in your earnings. Reason: %(note)s"),
        present=present_money,
    ),
    "payout_account_registered": Kind(
        title=_("Payout account registered"),
        body=_(
            "Your payouts will go to %(bank)s %(branch)s, account ending %(ending)s. If you did not do this, contact us at once."  # noqa: E501
        ),
    ),
    "payout_account_changed": Kind(
        title=_("Your payout account was changed"),
        body=_(
            "New payout requests will go to %(bank)s %(branch)s, account ending %(ending)s; requests made before keep the account they were made with. If you did not do this, contact us at once."  # noqa: E501
        ),
    ),
}


def register() -> None:
    kinds_register(KINDS)
