"""The client address behind reverse proxies, and sign-in limits sized for a marketplace."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _sign_in(client, email: str, *, forwarded_for: str | None = None) -> int:
    client.logout()
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    response = client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        **headers,
    )
    return response.status_code


def test_limits_allow_many_people_behind_one_address():
    # Mobile carriers share IPv4 addresses: far more than allauth's 30 sign-ins a minute.
    limits = settings.ACCOUNT_RATE_LIMITS
    assert int(limits["login"].split("/")[0]) >= 300
    assert int(limits["signup"].split("/")[0]) >= 60


@override_settings(
    ALLAUTH_TRUSTED_PROXY_COUNT=1,
    ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"},
)
def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(client):
    person = UserFactory()
    # Two sign-ins from one customer's address use up the (small) limit for that address...
    assert _sign_in(client, person.email, forwarded_for="203.0.113.1") == 302
    assert _sign_in(client, person.email, forwarded_for="203.0.113.1") == 302
    assert _sign_in(client, person.email, forwarded_for="203.0.113.1") == 429
    # ...while another customer behind the same proxy signs in at once.
    assert _sign_in(client, person.email, forwarded_for="203.0.113.2") == 302
    # A forged address in front of the one the proxy appended is not believed.
    assert _sign_in(client, person.email, forwarded_for="198.51.100.9, 203.0.113.1") == 429


@override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"})
def test_without_a_trusted_proxy_the_header_is_ignored(client):
    person = UserFactory()
    assert _sign_in(client, person.email, forwarded_for="203.0.113.1") == 302
    assert _sign_in(client, person.email, forwarded_for="203.0.113.2") == 302
    # Anyone can send X-Forwarded-For: without a configured proxy it changes nothing.
    assert _sign_in(client, person.email, forwarded_for="203.0.113.3") == 429


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=2)
def test_a_request_that_skipped_a_proxy_is_counted_by_its_connection(client):
    person = UserFactory()
    # Fewer forwarded addresses than proxies: no error page, the sign-in works.
    assert _sign_in(client, person.email, forwarded_for="203.0.113.1") == 302
    assert _sign_in(client, person.email) == 302
