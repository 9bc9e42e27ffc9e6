"""The provider's pages: the customer list (filters, sort, search, CSV), the card with
its history and edits (field-level errors), notes and tier names."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aizuchi.crm.models import Card, Note
from aizuchi.crm.selectors import ListFilters, customers_for_provider
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import card_for, met

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    provider = ProviderFactory()
    _p, hanako, _s = met(provider, display_name="花子", sessions=2)
    _p, taro, _s = met(provider, display_name="太郎")
    _p, newcomer, _s = met(provider, sessions=0, display_name="ゆき")
    SessionFactory(provider=provider, customer=newcomer, declined=True)
    card_for(
        provider,
        hanako,
        tier=1,
        tags="夜型",
        personality_model="types16",
        personality_type="INFP",
        style="consult",
        note="仕事の悩み。猫が好き",
    )
    card_for(provider, taro, tier=3, style="chat", note="野球の話")
    Relationship.objects.filter(provider=provider, customer=taro).update(
        last_contact_at=timezone.now() - timedelta(days=40), spent_yen=500
    )
    Relationship.objects.filter(provider=provider, customer=hanako).update(spent_yen=9000)
    client = Client()
    client.force_login(provider.user)
    return {
        "provider": provider,
        "client": client,
        "hanako": hanako,
        "taro": taro,
        "yuki": newcomer,
    }


def _names(shop, **filters) -> list[str]:
    rows = customers_for_provider(provider=shop["provider"], filters=ListFilters(**filters))
    return [row.customer.display_name for row in rows]


def test_filters_each_narrow_the_list(shop):
    assert sorted(_names(shop)) == sorted(["太郎", "花子", "ゆき"])
    assert _names(shop, tier=1) == ["花子"]
    assert _names(shop, tier=0) == ["ゆき"]
    tag = shop["provider"].crm_tags.get(name="夜型")
    assert _names(shop, tag_id=tag.pk) == ["花子"]
    assert _names(shop, personality_type="INFP") == ["花子"]
    assert _names(shop, style="chat") == ["太郎"]
    assert _names(shop, audience="newcomers") == ["ゆき"]
    assert sorted(_names(shop, audience="regulars")) == sorted(["花子", "太郎"])
    assert "太郎" not in _names(shop, seen_within_days=30)
    assert _names(shop, not_seen_days=30) == ["太郎"]
    assert _names(shop, spent_min=1, spent_max=1000) == ["太郎"]
    assert _names(shop, sort="spent")[0] == "花子"


@pytest.mark.parametrize(
    ("query", "found"),
    [("仕事", ["花子"]), ("猫", ["花子"]), ("太郎", ["太郎"]), ("野球の", ["太郎"]), ("ねこ", [])],
)
def test_search_finds_japanese_substrings_in_names_and_notes(shop, query, found):
    assert _names(shop, query=query) == found


def test_the_list_page_filters_and_shows_cards(shop):
    response = shop["client"].get(reverse("crm:list"), {"tier": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "花子" in body
    assert "太郎" not in body
    assert "仕事の悩み" in body


def test_bad_filters_are_field_errors_not_failures(shop):
    response = shop["client"].get(
        reverse("crm:list"), {"spent_min": "たくさん", "not_seen": "10000000000", "tier": "9"}
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="field-error"') == 3


def test_csv_export_is_utf8_with_a_bom_and_follows_the_filters(shop):
    response = shop["client"].get(reverse("crm:export"), {"style": "consult"})
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][0] == "花子"
    assert "夜型" in rows[1][2]
    assert rows[1][-1] == "仕事の悩み。猫が好き"


def test_the_card_page_shows_the_history(shop):
    response = shop["client"].get(reverse("crm:card", args=[shop["hanako"].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr>") == 3  # the head and two sessions
    assert body.count("¥3,000") == 2
    assert "仕事の悩み" in body
    yuki = shop["client"].get(reverse("crm:card", args=[shop["yuki"].pk])).content.decode()
    assert yuki.count("<tr>") == 2  # the head and the declined call


def test_a_bad_edit_shows_field_errors_and_changes_nothing(shop):
    url = reverse("crm:card", args=[shop["hanako"].pk])
    before = list(Card.objects.values_list("pk", "tier", "personality_type", "style"))
    response = shop["client"].post(
        url, {"tier": "2", "personality_model": "functions", "personality_type": "INFP"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('class="field-error"') == 1
    before_error = body.split('class="field-error"')[0]
    assert before_error.rfind('id="id_personality_type"') > before_error.rfind('id="id_style"')
    assert shop["client"].post(url, {"tier": "7"}).status_code == 400
    assert list(Card.objects.values_list("pk", "tier", "personality_type", "style")) == before


def test_notes_through_the_pages(shop):
    client = shop["client"]
    url = reverse("crm:note_add", args=[shop["yuki"].pk])
    assert client.post(url, {"text": ""}).status_code == 400
    assert client.post(url, {"text": "初回。緊張していた"}).status_code == 302
    note = Note.objects.get(text="初回。緊張していた")
    edit = reverse("crm:note_edit", args=[note.pk])
    assert client.post(edit, {"text": "x" * 2001}).status_code == 400
    assert client.post(edit, {"text": "初回。少し緊張"}).status_code == 302
    note.refresh_from_db()
    assert note.text == "初回。少し緊張"
    client.post(reverse("crm:note_delete", args=[note.pk]))
    assert not Note.objects.filter(pk=note.pk).exists()


def test_tier_names_page(shop):
    client = shop["client"]
    response = client.post(reverse("crm:tiers"), {"tier_1": "いちばん大切"})
    assert response.status_code == 302
    page = client.get(reverse("crm:list"))
    assert "いちばん大切" in page.content.decode()
    bad = client.post(reverse("crm:tiers"), {"tier_2": "x" * 40})
    assert bad.status_code == 400
