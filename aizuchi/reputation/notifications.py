"""The kinds of notification the reputation app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register
from aizuchi.storefront.models import Rank


def _rank_name(params: dict) -> dict:
    return {**params, "rank": str(Rank(params["rank"]).label)}


KINDS: dict[str, Kind] = {
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
}


def register() -> None:
    kinds_register(KINDS)
