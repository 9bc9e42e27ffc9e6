"""Writing the relationship row as a caller read it: one statement when nothing changed
it since, and nothing lost when something did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.selectors import relationship_for
from aizuchi.relationships.services import (
    relationship_booking_dropped,
    relationship_booking_made,
    relationship_session_requested,
)
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return {"provider_id": ProviderFactory().pk, "customer_id": UserFactory().pk}


def _booked(row: Relationship) -> list[int]:
    return [booking_id for booking_id, _at in row.recent_bookings]


def test_a_row_as_read_is_written_in_one_statement(pair, django_assert_num_queries):
    now = timezone.now()
    never_met = relationship_for(**pair)
    with django_assert_num_queries(1):  # an insert
        relationship_booking_made(**pair, booking_id=1, created_at=now, seen=never_met)
    seen = relationship_for(**pair)
    with django_assert_num_queries(1):  # an update on the condition it is as read
        relationship_booking_made(**pair, booking_id=2, created_at=now, seen=seen)
    row = relationship_for(**pair)
    assert _booked(row) == [1, 2]
    assert row.first_contact_at == row.last_contact_at == now


def test_a_change_since_the_read_is_kept(pair):
    """A booking dropped after the row was read: the write as read would bring it back;
    the row is read again, locked, and changed as it is."""
    now = timezone.now()
    relationship_booking_made(**pair, booking_id=1, created_at=now)
    seen = relationship_for(**pair)
    relationship_booking_dropped(**pair, booking_id=1)
    relationship_booking_made(**pair, booking_id=2, created_at=now, seen=seen)
    assert _booked(relationship_for(**pair)) == [2]


def test_a_row_made_since_the_read_is_kept(pair):
    """They had never met when read; a session requested meanwhile made the row."""
    earlier = timezone.now() - timedelta(minutes=5)
    seen = relationship_for(**pair)
    relationship_session_requested(**pair, requested_at=earlier)
    relationship_booking_made(**pair, booking_id=1, created_at=timezone.now(), seen=seen)
    row = relationship_for(**pair)
    assert row.first_contact_at == earlier
    assert _booked(row) == [1]
    assert Relationship.objects.count() == 1
