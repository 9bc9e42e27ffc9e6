"""The home page: whom one can talk to right now comes first."""

import pytest
from django.test import Client

from aizuchi.presence.services import presence_set
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def _waiting_section(client: Client) -> str:
    page = client.get("/", headers={"accept-language": "ja"}).content.decode()
    return page.split("data-home-waiting>")[1].split("</section>")[0]


def test_the_home_page_shows_who_is_free_to_talk_now(client):
    waiting = ProviderFactory(display_name="いま待機中のひと", is_listed=True)
    ProviderFactory(display_name="オフラインのひと", is_listed=True)
    hidden = ProviderFactory(display_name="非公開のひと", is_listed=False)
    section = _waiting_section(client)
    assert "今すぐ話せる" in section
    assert "いま待機中のひと" not in section
    assert "予約" in section  # nobody waiting: what to do instead
    presence_set(provider=waiting, state="open")
    presence_set(provider=hidden, state="open")
    section = _waiting_section(client)
    assert "いま待機中のひと" in section
    assert "オフラインのひと" not in section
    assert "非公開のひと" not in section  # not listed: never shown
