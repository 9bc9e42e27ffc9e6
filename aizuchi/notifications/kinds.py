"""What each kind of notification says.

A notification stores its kind and parameters, not its text, so it reads in the
language of whoever looks at it, even after they switch language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    title: Promise
    body: Promise
    # Turns stored parameters into display values in the reader's (active) language,
    # e.g. a rank number into its name.
    present: Callable[[dict], dict] | None = None


def _rank_name(params: dict) -> dict:
    from aizuchi.storefront.models import Rank  # the storefront sends through us

    return {**params, "rank": str(Rank(params["rank"]).label)}


def _money(params: dict) -> dict:
    """Yen with thousands separators; a due date in the reader's zone and language."""
    shown = {**params}
    if "amount" in params:
        shown["amount"] = f"{params['amount']:,}"
    if "start" in params:
        start = timezone.localtime(datetime.fromisoformat(params["start"]))
        shown["start"] = formats.date_format(start, "DATETIME_FORMAT")
    if params.get("fee"):
        shown["fee"] = f"{params['fee']:,}"
    if "due" in params:
        due = timezone.localtime(datetime.fromisoformat(params["due"]))
        shown["due"] = formats.date_format(due, "DATE_FORMAT")
    return shown


KINDS: dict[str, Kind] = {
    "welcome": Kind(
        title=_("Welcome to Aizuchi"),
        body=_(
            "Your e-mail address is confirmed. Find someone to talk with, or open your own storefront."  # noqa: E501
        ),
    ),
    "provider_opened": Kind(
        title=_("Your storefront is open"),
        body=_(
            "「%(display_name)s」 is ready. Add photos and a voice sample so callers know who they will meet."  # noqa: E501
        ),
    ),
    "review_received": Kind(
        title=_("A new review: %(stars)s out of 5"),
        body=_(
            "%(customer)s reviewed a session with you. You may reply once; the reply is shown under the review."  # noqa: E501
        ),
    ),
    "review_replied": Kind(
        title=_("%(display_name)s replied to your review"),
        body=_("Read the reply on %(display_name)s's page."),
    ),
    "rank_up": Kind(
        title=_("Your rank is now %(rank)s"),
        body=_(
            "Congratulations: your sales, repeat customers and ratings over the last 90 days earned you %(rank)s."  # noqa: E501
        ),
        present=_rank_name,
    ),
    "rank_down": Kind(
        title=_("Your rank is now %(rank)s"),
        body=_(
            "Ranks follow the last 90 days of sales, repeat customers and ratings. Your page and standby times help you climb back."  # noqa: E501
        ),
        present=_rank_name,
    ),
    # --- live sessions ---
    "session_missed": Kind(
        title=_("You missed a call from %(customer)s"),
        body=_(
            "They rang while your standby page was not answering. A short message may bring them back."  # noqa: E501
        ),
    ),
    "appointment_invitation": Kind(
        title=_("%(provider)s is waiting for you"),
        body=_("You are invited in for the next %(minutes)s minutes. Open their page to start."),
    ),
    # --- bookings ---
    "booking_requested": Kind(
        title=_("%(customer)s asks to book %(start)s"),
        body=_("Confirm or decline the request on your bookings page before it expires."),
        present=_money,
    ),
    "booking_made": Kind(
        title=_("%(customer)s booked %(start)s"),
        body=_("The time is in your bookings and your calendar feed."),
        present=_money,
    ),
    "booking_confirmed": Kind(
        title=_("%(provider)s confirmed your booking"),
        body=_("See you on %(start)s. You can enter the session from the booking at that time."),
        present=_money,
    ),
    "booking_declined": Kind(
        title=_("%(provider)s could not take your booking"),
        body=_("Nothing was charged. Please choose another time."),
        present=_money,
    ),
    "booking_expired": Kind(
        title=_("Your request to %(provider)s was not answered in time"),
        body=_("The held points are back. Please choose another time."),
        present=_money,
    ),
    "booking_cancelled": Kind(
        title=_("The booking on %(start)s was cancelled"),
        body=_("See the booking for the details."),
        present=_money,
    ),
    "booking_moved": Kind(
        title=_("A booking moved to %(start)s"),
        body=_("See the booking for the new time."),
        present=_money,
    ),
    "booking_no_show": Kind(
        title=_("You missed your booking with %(provider)s"),
        body=_("The booking on %(start)s is marked as not attended."),
        present=_money,
    ),
    "booking_reminder": Kind(
        title=_("Reminder: a booking on %(start)s"),
        body=_("%(customer)s and %(provider)s. Open the booking to enter the session at the time."),
        present=_money,
    ),
    # --- billing ---
    "points_added": Kind(
        title=_("¥%(amount)s in points added"),
        body=_("Your payment arrived and the points are in your wallet."),
        present=_money,
    ),
    "invoice_issued": Kind(
        title=_("Invoice from %(provider)s: ¥%(amount)s"),
        body=_("Please pay by %(due)s. You can pay with points or by bank transfer."),
        present=_money,
    ),
    "invoice_due_soon": Kind(
        title=_("Your invoice from %(provider)s is due %(due)s"),
        body=_("¥%(amount)s is still open. Paying on time keeps your next session free to start."),
        present=_money,
    ),
    "invoice_overdue": Kind(
        title=_("Your invoice from %(provider)s is past due"),
        body=_(
            "¥%(amount)s was due %(due)s. Until it is paid, new sessions with %(provider)s cannot start."  # noqa: E501
        ),
        present=_money,
    ),
    "invoice_paid": Kind(
        title=_("%(customer)s paid ¥%(amount)s"),
        body=_("The payment is recorded against their invoice and counts in your earnings."),
        present=_money,
    ),
    "refund_issued": Kind(
        title=_("¥%(amount)s refunded"),
        body=_(
            "A charge for your session with %(provider)s was refunded; any unpaid invoice was reduced first, the rest returned as points."  # noqa: E501
        ),
        present=_money,
    ),
    "payout_paid": Kind(
        title=_("Payout of ¥%(amount)s sent"),
        body=_("The transfer to your bank account has been made."),
        present=_money,
    ),
    "payout_rejected": Kind(
        title=_("Payout of ¥%(amount)s not approved"),
        body=_("The amount is back in your earnings. Reason: %(note)s"),
        present=_money,
    ),
}


def render(kind: str, params: dict) -> tuple[str, str]:
    spec = KINDS[kind]
    if spec.present is not None:
        params = spec.present(params)
    return str(spec.title) % params, str(spec.body) % params
