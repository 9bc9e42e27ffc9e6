import pytest
from django.urls import reverse

from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.core.names import NAME_INVISIBLE
from aizuchi.notifications.models import Notification
from aizuchi.storefront.models import Provider
from aizuchi.storefront.services import profile as services
from aizuchi.storefront.strings import (
    ALREADY_OPEN,
    CONCEPT_REQUIRED,
    NAME_REQUIRED,
    UNKNOWN_CATEGORY,
)

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db


def test_a_customer_opens_a_storefront_and_stays_a_customer(user):
    provider = services.provider_open(
        user=user,
        display_name=" 聞き上手のはるか ",
        concept="夜でも、ゆっくり聞きます",
        category_slugs=["keicho", "zatsudan"],
    )
    assert provider.user == user
    assert provider.display_name == "聞き上手のはるか"
    assert sorted(c.slug for c in provider.categories.all()) == ["keicho", "zatsudan"]
    assert Notification.objects.filter(user=user, kind="provider_opened").exists()
    user.refresh_from_db()
    assert user.is_active  # the same account keeps working as a customer


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "  "}, "display_name", NAME_REQUIRED),
        ({"display_name": "\u202e\u200b"}, "display_name", NAME_INVISIBLE),
        ({"concept": ""}, "concept", CONCEPT_REQUIRED),
        ({"category_slugs": ["keicho", "nonsense"]}, "categories", UNKNOWN_CATEGORY),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(user, data, field, message):
    args = {"display_name": "はるか", "concept": "聞きます", "category_slugs": ["keicho"], **data}
    with pytest.raises(InvalidInput) as caught:
        services.provider_open(user=user, **args)
    assert caught.value.errors[field] == [message]
    assert not Provider.objects.exists()
    assert not Notification.objects.exists()


def test_a_person_has_at_most_one_storefront(user):
    ProviderFactory(user=user)
    with pytest.raises(Conflict) as caught:
        services.provider_open(
            user=user, display_name="二軒目", concept="もう一つ", category_slugs=[]
        )
    assert caught.value.message == ALREADY_OPEN
    assert Provider.objects.filter(user=user).count() == 1


def test_open_page_shows_errors_in_the_viewers_language(client, user):
    client.force_login(user)
    response = client.post(reverse("storefront:open"), {"display_name": "", "concept": ""})
    assert response.status_code == 400
    assert "このフィールドは必須です。" in response.content.decode()
    user.language = "en"
    user.save()
    response = client.post(reverse("storefront:open"), {"display_name": "", "concept": ""})
    assert "This field is required." in response.content.decode()
    assert not Provider.objects.exists()


def test_open_page_creates_and_redirects(client, user):
    client.force_login(user)
    response = client.post(
        reverse("storefront:open"),
        {"display_name": "はるか", "concept": "聞きます", "categories": ["keicho"]},
    )
    provider = Provider.objects.get(user=user)
    assert response.url == reverse("storefront:detail", args=[provider.pk])
    # Opening again just leads to the existing storefront.
    assert client.get(reverse("storefront:open")).url == response.url


def test_pages_list_and_show_providers(client):
    provider = ProviderFactory(display_name="夜ふかしのハル", concept="夜の雑談どうぞ")
    provider.categories.set([])
    assert "夜ふかしのハル" in client.get(reverse("storefront:index")).content.decode()
    assert (
        "夜の雑談どうぞ"
        in client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    )
    assert client.get(reverse("storefront:detail", args=[provider.pk + 999])).status_code == 404
    assert (
        "夜ふかしのハル"
        not in client.get(reverse("storefront:index") + "?category=renai").content.decode()
    )
    assert client.get(reverse("storefront:index") + "?page=999").status_code == 200
