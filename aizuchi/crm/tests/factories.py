"""Helpers for customer-card tests: a provider with a customer they have met, and cards
written through the services."""

from __future__ import annotations

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.crm.services import cards
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.storefront.tests.factories import ProviderFactory


def met(provider=None, customer=None, *, sessions: int = 1, **fields):
    """A completed session between them (so the customer is one of the provider's)."""
    provider = provider or ProviderFactory()
    customer = customer or UserFactory(**fields)
    last = None
    for _ in range(sessions):
        last = SessionFactory(provider=provider, customer=customer, completed=True)
    return provider, customer, last


def card_for(provider, customer, *, note: str = "", **fields):
    card = cards.card_update(provider=provider, customer_id=customer.pk, **fields)
    if note:
        cards.note_add(provider=provider, customer_id=customer.pk, text=note)
    return card
