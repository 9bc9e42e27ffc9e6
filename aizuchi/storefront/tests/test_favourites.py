from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import Conflict, NotFound
from aizuchi.presence.services import presence_set
from aizuchi.storefront.models import Favourite
from aizuchi.storefront.models import PresenceState as State
from aizuchi.storefront.selectors import favourites as favourite_reads
from aizuchi.storefront.services import favourites

from .factories import FavouriteFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_adding_twice_keeps_one_favourite(user):
    provider = ProviderFactory()
    first = favourites.favourite_add(customer=user, provider_id=provider.pk)
    second = favourites.favourite_add(customer=user, provider_id=provider.pk)
    assert first.pk == second.pk
    assert Favourite.objects.filter(customer=user, provider=provider).count() == 1
    assert favourite_reads.is_favourite(customer=user, provider=provider)
    assert favourite_reads.favourite_count(provider=provider) == 1


def test_removing_twice_or_never_added_is_fine(user):
    provider = ProviderFactory()
    favourites.favourite_remove(customer=user, provider_id=provider.pk)  # never added
    favourites.favourite_add(customer=user, provider_id=provider.pk)
    favourites.favourite_remove(customer=user, provider_id=provider.pk)
    favourites.favourite_remove(customer=user, provider_id=provider.pk)
    assert not favourite_reads.is_favourite(customer=user, provider=provider)
    assert favourite_reads.favourite_count(provider=provider) == 0


def test_remove_touches_only_the_callers_favourite(user, other_user):
    provider = ProviderFactory()
    favourites.favourite_add(customer=user, provider_id=provider.pk)
    favourites.favourite_add(customer=other_user, provider_id=provider.pk)
    favourites.favourite_remove(customer=other_user, provider_id=provider.pk)
    assert favourite_reads.is_favourite(customer=user, provider=provider)
    assert favourite_reads.favourite_count(provider=provider) == 1


def test_a_provider_cannot_favourite_their_own_storefront():
    provider = ProviderFactory()
    with pytest.raises(Conflict) as caught:
        favourites.favourite_add(customer=provider.user, provider_id=provider.pk)
    assert caught.value.code == "own_storefront"
    assert caught.value.message == favourites.OWN_STOREFRONT
    assert not Favourite.objects.exists()


def test_a_provider_may_favourite_other_providers():
    me, other = ProviderFactory(), ProviderFactory()
    favourites.favourite_add(customer=me.user, provider_id=other.pk)
    assert favourite_reads.is_favourite(customer=me.user, provider=other)


def test_an_unknown_provider_is_not_found(user):
    with pytest.raises(NotFound):
        favourites.favourite_add(customer=user, provider_id=999999)
    assert not Favourite.objects.exists()


def test_anonymous_visitors_have_no_favourites():
    from django.contrib.auth.models import AnonymousUser

    provider = ProviderFactory()
    assert favourite_reads.is_favourite(customer=AnonymousUser(), provider=provider) is False
    assert favourite_reads.is_favourite(customer=None, provider=provider) is False


def test_list_is_newest_first_with_presence_and_only_mine(user, other_user):
    now = timezone.now()
    quiet = ProviderFactory(display_name="静か")
    open_now = ProviderFactory(display_name="待機中")
    presence_set(provider=open_now, state=State.OPEN)
    FavouriteFactory(customer=user, provider=quiet, created_at=now - timedelta(days=1))
    FavouriteFactory(customer=user, provider=open_now, created_at=now)
    FavouriteFactory(customer=other_user)
    page = favourite_reads.favourite_list(customer=user)
    entries = list(page.object_list)
    assert [entry.provider for entry in entries] == [open_now, quiet]
    assert [entry.presence_state for entry in entries] == [State.OPEN, State.OFFLINE]


def test_list_is_paginated(user):
    now = timezone.now()
    for i in range(favourite_reads.PAGE_SIZE + 3):
        FavouriteFactory(customer=user, created_at=now - timedelta(minutes=i))
    assert (
        len(favourite_reads.favourite_list(customer=user, page=1).object_list)
        == favourite_reads.PAGE_SIZE
    )
    assert len(favourite_reads.favourite_list(customer=user, page=2).object_list) == 3
    assert favourite_reads.favourite_list(customer=user, page="x").number == 1


CUSTOMERS = 4


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    actions=st.lists(
        st.tuples(st.integers(0, CUSTOMERS - 1), st.sampled_from(["add", "remove"])),
        max_size=30,
    )
)
def test_count_equals_customers_whose_last_action_was_add(db, actions):
    provider = ProviderFactory()
    customers = [UserFactory() for _ in range(CUSTOMERS)]
    last: dict[int, str] = {}
    for index, action in actions:
        service = favourites.favourite_add if action == "add" else favourites.favourite_remove
        service(customer=customers[index], provider_id=provider.pk)
        last[index] = action
    expected = sum(1 for action in last.values() if action == "add")
    assert favourite_reads.favourite_count(provider=provider) == expected
    for index, customer in enumerate(customers):
        assert favourite_reads.is_favourite(customer=customer, provider=provider) == (
            last.get(index) == "add"
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database that serves parallel writers"
)
def test_racing_adds_end_with_one_favourite():
    provider = ProviderFactory()
    customer = UserFactory()
    barrier = threading.Barrier(6)
    results, errors = [], []

    def add():
        try:
            barrier.wait()
            results.append(favourites.favourite_add(customer=customer, provider_id=provider.pk).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Favourite.objects.filter(customer=customer, provider=provider).count() == 1
    assert len(set(results)) == 1
