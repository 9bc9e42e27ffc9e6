"""A provider's offerings: one per channel, a price per minute and the terms of sale.

The storefront keeps the terms as the provider enters them and says them in plain
words; turning them into charges belongs to billing.
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import NotFound
from aizuchi.core.money import whole_number

from ..models import Offering, Provider


def offerings_for_provider(*, provider: Provider, active_only: bool = False) -> list[Offering]:
    """The provider's offerings, voice first."""
    offerings = Offering.objects.filter(provider=provider)
    if active_only:
        offerings = offerings.filter(is_active=True)
    order = {value: i for i, value in enumerate(Offering.Channel.values)}
    found = sorted(offerings, key=lambda o: order.get(o.channel, 99))
    for offering in found:
        offering.provider = provider  # known already: no query per offering
    return found


def _first_session_parts(offering: Offering) -> list[str]:
    parts: list[str] = []
    if offering.first_free_minutes:
        # Translators: 初回%(minutes)d分無料
        parts.append(
            gettext("First %(minutes)d min free") % {"minutes": offering.first_free_minutes}
        )
    if offering.first_session_cap_minutes:
        # Translators: 初回は最長%(minutes)d分
        parts.append(
            gettext("First session up to %(minutes)d min")
            % {"minutes": offering.first_session_cap_minutes}
        )
    return parts


def _join(parts: list[str]) -> str:
    # Japanese joins with 「・」, English with a spaced middle dot.
    # Translators: ・ (no spaces)
    return pgettext("offering policy summary separator", " · ").join(parts)


def offering_first_session_summary(offering: Offering) -> str:
    """Only the first-session terms (「初回10分無料・初回は最長60分」), or ""."""
    return _join(_first_session_parts(offering))


def offering_policy_summary(offering: Offering, *, first_session: bool = True) -> str:
    """The terms in a few plain words, in the active language.

    「初回30分無料・初回は最長60分・後払い」, 「1分ごと課金・前払い（ポイント）」.
    Kept short: first-session terms come first; the default per-minute counting is
    named only when there are no first-session terms to tell (per-second always is).
    ``first_session=False``: the terms of a customer whose first session is behind them
    (no first-session terms, which would mislead).
    """
    first = _first_session_parts(offering) if first_session else []
    parts = list(first)
    if offering.session_cap_minutes:
        # Translators: 1回最長%(minutes)d分
        parts.append(
            gettext("Each session up to %(minutes)d min")
            % {"minutes": offering.session_cap_minutes}
        )
    if offering.rounding == Offering.Rounding.PER_SECOND:
        # Translators: 1秒ごと課金
        parts.append(gettext("Billed per second"))
    elif not first:
        # Translators: 1分ごと課金
        parts.append(gettext("Billed per minute"))
    if offering.payment == Offering.Payment.POSTPAID:
        # Translators: 後払い
        parts.append(gettext("Postpaid"))
    else:
        # Translators: 前払い（ポイント）
        parts.append(gettext("Prepaid (points)"))
    return _join(parts)


OFFERING_NOT_FOUND = _("That offer does not exist.")


def offering_get(*, offering_id, active_only: bool = False) -> Offering:
    """An offering by id with its provider (and the provider's user), for anyone: the
    offer is public. ``active_only``: only one open for sale. NotFound otherwise."""
    offerings = Offering.objects.select_related("provider__user")
    if active_only:
        offerings = offerings.filter(is_active=True)
    offering = offerings.filter(pk=whole_number(offering_id) or -1).first()
    if offering is None:
        raise NotFound(OFFERING_NOT_FOUND)
    return offering
