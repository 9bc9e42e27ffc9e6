from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.presence.services import presence_enter_session, presence_set
from aizuchi.storefront.models import Favourite, Rank
from aizuchi.storefront.models import PresenceState as State
from aizuchi.storefront.services.favourites import OWN_STOREFRONT

from .factories import FavouriteFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return UserFactory(language="en")


@pytest.fixture
def provider():
    return ProviderFactory()


def _toggle_url(provider) -> str:
    return reverse("storefront:favourite", args=[provider.pk])


def test_favourite_with_a_plain_form_and_come_back(client, customer, provider):
    client.force_login(customer)
    response = client.post(_toggle_url(provider), {"favourite": "1"})
    assert response["Location"] == reverse("storefront:detail", args=[provider.pk])
    assert Favourite.objects.filter(customer=customer, provider=provider).exists()
    client.post(_toggle_url(provider), {"favourite": "1"})  # again: still one
    assert Favourite.objects.filter(customer=customer).count() == 1
    client.post(_toggle_url(provider), {"favourite": "0"})
    assert not Favourite.objects.exists()


def test_htmx_toggles_the_button_in_place(client, customer, provider):
    client.force_login(customer)
    response = client.post(_toggle_url(provider), {"favourite": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="favourite-box"' in html
    assert 'aria-pressed="true"' in html
    assert 'name="favourite" value="0"' in html  # the next press removes
    assert "<html" not in html
    response = client.post(_toggle_url(provider), {"favourite": "0"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'aria-pressed="false"' in html
    assert 'name="favourite" value="1"' in html
    assert not Favourite.objects.exists()


def test_next_goes_back_to_a_local_page_only(client, customer, provider):
    client.force_login(customer)
    FavouriteFactory(customer=customer, provider=provider)
    favourites_url = reverse("storefront:favourites")
    response = client.post(_toggle_url(provider), {"favourite": "0", "next": favourites_url})
    assert response["Location"] == favourites_url
    response = client.post(
        _toggle_url(provider), {"favourite": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("storefront:detail", args=[provider.pk])


def test_anonymous_visitors_log_in_then_return_to_the_page(client, provider):
    detail = reverse("storefront:detail", args=[provider.pk])
    expected = f"{reverse('account_login')}?{urlencode({'next': detail})}"
    assert client.post(_toggle_url(provider), {"favourite": "1"})["Location"] == expected
    htmx = client.post(_toggle_url(provider), {"favourite": "1"}, HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == expected
    assert not Favourite.objects.exists()
    page = client.get(detail).content.decode()
    assert f'href="{reverse("account_login")}?next={detail}"' in page


def test_own_storefront_is_refused_with_400(client, provider):
    provider.user.language = "en"
    provider.user.save()
    client.force_login(provider.user)
    response = client.post(_toggle_url(provider), {"favourite": "1"})
    assert response.status_code == 400
    assert str(OWN_STOREFRONT) in response.content.decode()
    htmx = client.post(_toggle_url(provider), {"favourite": "1"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400
    assert not Favourite.objects.exists()


def test_unknown_provider_is_404_and_get_just_goes_to_the_page(client, customer, provider):
    client.force_login(customer)
    assert client.post(reverse("storefront:favourite", args=[999999]), {}).status_code == 404
    response = client.get(_toggle_url(provider))
    assert response["Location"] == reverse("storefront:detail", args=[provider.pk])


def test_the_public_page_shows_the_right_button(client, customer, provider):
    detail = reverse("storefront:detail", args=[provider.pk])
    client.force_login(customer)
    page = client.get(detail).content.decode()
    assert 'aria-pressed="false"' in page
    assert f'action="{_toggle_url(provider)}"' in page
    FavouriteFactory(customer=customer, provider=provider)
    assert 'aria-pressed="true"' in client.get(detail).content.decode()


def test_the_provider_sees_how_many_favourited_them(client, provider):
    provider.user.language = "en"
    provider.user.save()
    FavouriteFactory.create_batch(3, provider=provider)
    FavouriteFactory()  # someone else's
    client.force_login(provider.user)
    page = client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    assert "3 people favourited you" in page
    assert "aria-pressed" not in page  # no button on one's own page
    manage = client.get(reverse("storefront:manage_blog")).content.decode()
    assert "3 people favourited you" in manage
    Favourite.objects.filter(provider=provider).first().delete()
    Favourite.objects.filter(provider=provider).first().delete()
    manage = client.get(reverse("storefront:manage_blog")).content.decode()
    assert "1 person favourited you" in manage


def test_list_page_needs_login(client):
    response = client.get(reverse("storefront:favourites"))
    assert response["Location"].startswith(reverse("account_login"))


def test_list_page_shows_each_provider(client, customer):
    gold = ProviderFactory(display_name="金の聞き手", concept="何でも聞きます", rank=Rank.GOLD)
    presence_enter_session(provider=gold)
    plain = ProviderFactory(display_name="ふつうの聞き手")
    FavouriteFactory(customer=customer, provider=gold)
    FavouriteFactory(customer=customer, provider=plain)
    FavouriteFactory(provider=ProviderFactory(display_name="他人のお気に入り"))
    client.force_login(customer)
    page = client.get(reverse("storefront:favourites")).content.decode()
    assert "金の聞き手" in page
    assert "何でも聞きます" in page
    assert "ふつうの聞き手" in page
    assert "他人のお気に入り" not in page
    assert f"rank-{Rank.GOLD}" in page
    assert "presence-in_session" in page
    assert "presence-offline" in page
    assert reverse("storefront:detail", args=[gold.pk]) in page
    # every card leads on: book (and message); talk now only to whoever is waiting
    assert reverse("booking:provider", args=[gold.pk]) in page
    assert reverse("booking:provider", args=[plain.pk]) in page
    assert "data-talk-now" not in page
    presence_set(provider=plain, state="open")
    page = client.get(reverse("storefront:favourites")).content.decode()
    assert page.count("data-talk-now") == 1
    assert f'href="/providers/{plain.pk}/#offers" data-talk-now' in page


def test_empty_list_page(client, customer):
    client.force_login(customer)
    response = client.get(reverse("storefront:favourites"))
    assert response.status_code == 200
    assert "favourite-entry" not in response.content.decode()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("storefront:favourites")).status_code == 200
    return len(queries)


def test_list_page_has_no_n_plus_one(client, customer, django_assert_max_num_queries):
    client.force_login(customer)
    for provider in ProviderFactory.create_batch(2):
        presence_set(provider=provider, state=State.OPEN)
        FavouriteFactory(customer=customer, provider=provider)
    few = _list_queries(client)
    for provider in ProviderFactory.create_batch(18):
        presence_set(provider=provider, state=State.AWAY)
        FavouriteFactory(customer=customer, provider=provider)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("storefront:favourites"))
    assert response.content.decode().count("favourite-entry") == 20
