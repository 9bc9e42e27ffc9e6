"""The provider page tells first-session terms only to visitors for whom they still hold."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.services import relationship_get_or_create

from .factories import OfferingFactory

pytestmark = pytest.mark.django_db


def _page(offering, person=None) -> str:
    client = Client(headers={"accept-language": "en"})
    if person is not None:
        client.force_login(person)
    with translation.override("en"):
        response = client.get(reverse("storefront:detail", args=[offering.provider_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_first_session_terms_show_until_a_first_session_was_billed():
    offering = OfferingFactory(first_free_minutes=10)
    newcomer, regular = UserFactory(language="en"), UserFactory(language="en")
    relationship_get_or_create(provider_id=offering.provider_id, customer_id=regular.pk)
    Relationship.objects.filter(customer=regular).update(sessions_billed=1)

    assert "First 10 min free" in _page(offering)  # signed out: anyone may be new
    assert "First 10 min free" in _page(offering, newcomer)
    page = _page(offering, regular)
    assert "First 10 min free" not in page
    assert "Billed per minute" in page
    offering.provider.user.language = "en"
    offering.provider.user.save(update_fields=["language"])
    own = _page(offering, offering.provider.user)
    assert "For a customer's first session: First 10 min free" in own


def test_the_offering_form_says_what_a_minute_brings_after_commission():
    from aizuchi.billing.services import payouts

    offering = OfferingFactory(price_per_minute=120)
    staff = UserFactory(is_staff=True)
    payouts.commission_rate_set(user=staff, provider_id=offering.provider_id, rate_percent="25")
    owner = offering.provider.user
    owner.language = "en"
    owner.save(update_fields=["language"])
    client = Client()
    client.force_login(owner)
    page = client.get(reverse("storefront:manage_offerings")).content.decode()
    assert "You receive ¥90 a minute" in page
    assert "25%, ¥30" in page
