"""Public events under the search results: the soonest events of the listeners found,
never an invite-only one to the uninvited, nor any to a customer the provider blocked."""

from __future__ import annotations

import pytest
from django.test import Client

from aizuchi.access.services import customer_block_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.events.models import Event
from aizuchi.storefront.tests.test_search import make

from .factories import event_make

pytestmark = pytest.mark.django_db


def _search(user=None, q: str = "") -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get("/providers/", {"q": q}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    return response.content.decode()


def test_public_events_of_the_listeners_found_are_listed_under_them():
    misaki = make("みさき", offerings=[("chat", 100)])
    kaede = make("かえで", offerings=[("chat", 100)])
    tea = event_make(misaki, title="みさきのお茶会")
    secret = event_make(misaki, title="ないしょの会", audience=Event.Audience.INVITED)
    talk = event_make(kaede, title="かえでの夜のおしゃべり", kind=Event.Kind.ONLINE, place="")
    page = _search()
    assert "data-search-events" in page
    assert "見つかった聞き手の、これからのイベント" in page
    assert tea.title in page
    assert talk.title in page
    assert secret.title not in page
    # a search that finds only かえで shows only her events
    page = _search(q="かえで")
    assert talk.title in page
    assert tea.title not in page
    # a customer みさき blocked sees none of hers
    guest = UserFactory()
    customer_block_set(provider=misaki, customer_id=guest.pk, blocked=True)
    page = _search(guest)
    assert tea.title not in page
    assert talk.title in page


def test_no_events_no_section():
    make("みさき", offerings=[("chat", 100)])
    assert "data-search-events" not in _search()
