"""The provider's page of who may connect (their access policy), through HTTP."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from aizuchi.access.models import AccessPolicy
from aizuchi.billing.tests.factories import OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory()


def _lang(person, language: str):
    person.language = language
    person.save(update_fields=["language"])
    return person


def _field_error(html: str) -> str:
    return " ".join(re.findall(r'class="field-error" role="alert">([^<]*)<', html))


def _policy_data(**changes):
    data = {
        "newcomers_by_reservation": "on",
        "regulars_drop_in": "on",
        "drop_ins_per_week": "3",
        "bookings_per_week": "2",
        "appointment_opens_after_minutes": "15",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_provider_saves_who_may_connect(client, offering):
    client.force_login(offering.provider.user)
    response = client.post(
        reverse("access:policy"), _policy_data(regulars_drop_in=None, drop_ins_per_week="")
    )
    assert response["Location"] == reverse("access:policy")
    policy = AccessPolicy.objects.get(provider=offering.provider)
    assert (
        policy.newcomers_by_reservation,
        policy.regulars_drop_in,
        policy.drop_ins_per_week,
        policy.bookings_per_week,
        policy.appointment_opens_after_minutes,
    ) == (True, False, None, 2, 15)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("drop_ins_per_week", "0"),
        ("drop_ins_per_week", "51"),
        ("bookings_per_week", "-3"),
        ("bookings_per_week", "many"),
        ("appointment_opens_after_minutes", "4"),
        ("appointment_opens_after_minutes", "121"),
    ],
)
def test_access_policy_numbers_out_of_range_are_field_errors(client, offering, field, value):
    client.force_login(_lang(offering.provider.user, "en"))
    response = client.post(reverse("access:policy"), _policy_data(**{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert _field_error(response.content.decode()) == escape(form.errors[field][0])
    assert not AccessPolicy.objects.filter(provider=offering.provider).exists()
