"""Reads of the access domain: the decision itself (``policy.access_check``), the policy,
and the newcomers who missed the provider."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import MissedNewcomer
from ..policy import (
    AccessDecision,
    Action,
    BookingFacts,
    MessageFacts,
    MessageTerms,
    NextStep,
    access_check,
    access_policy_for,
    message_policies_for,
)

__all__ = [
    "AccessDecision",
    "Action",
    "BookingFacts",
    "MessageFacts",
    "MessageTerms",
    "NextStep",
    "access_check",
    "access_policy_for",
    "message_policies_for",
    "missed_newcomers_for_provider",
]


def missed_newcomers_for_provider(*, provider, limit: int = 50) -> QuerySet[MissedNewcomer]:
    return MissedNewcomer.objects.filter(provider=provider).select_related("customer")[:limit]
