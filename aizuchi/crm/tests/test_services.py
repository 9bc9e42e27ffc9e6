"""The card services: the provider's own fields, notes, tags and tier names, each bad
input refused field by field and changing nothing."""

from __future__ import annotations

import pytest

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.crm.models import Card, Note, Tag
from aizuchi.crm.selectors import card_get_for_provider, tier_names
from aizuchi.crm.services import cards
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.messaging.tests.factories import free_messages, send
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import card_for, met

pytestmark = pytest.mark.django_db


def test_the_first_write_makes_the_card_on_the_relationship_row():
    provider, customer, session = met()
    assert card_get_for_provider(provider=provider, customer_id=customer.pk).card.pk is None
    card = card_for(
        provider,
        customer,
        personality_model="types16",
        personality_type="infj",
        style="consult",
        tier=1,
        tags="傾聴、夜型 傾聴",
        mismatch=True,
        mismatch_session_id=session.pk,
    )
    card.refresh_from_db()
    assert card.relationship.provider_id == provider.pk
    assert card.relationship.customer_id == customer.pk
    assert (card.personality_type, card.style, card.tier) == ("INFJ", "consult", 1)
    assert card.mismatch_session_id == session.pk
    assert sorted(t.name for t in card.tags.all()) == ["傾聴", "夜型"]
    view = card_get_for_provider(provider=provider, customer_id=customer.pk)
    assert view.card.pk == card.pk
    assert view.tier_name == "本命" or view.tier_name == "Core"


def test_leading_functions_are_a_model_of_their_own():
    provider, customer, _session = met()
    card = card_for(provider, customer, personality_model="functions", personality_type="F")
    assert card.type_label in ("Feeling", "感情")
    with pytest.raises(InvalidInput) as refused:
        card_for(provider, customer, personality_model="functions", personality_type="INFJ")
    assert "personality_type" in refused.value.errors


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"personality_type": "INFJ"}, "personality_type"),
        ({"personality_model": "stars"}, "personality_model"),
        ({"style": "shout"}, "style"),
        ({"tier": 9}, "tier"),
        ({"tags": "x" * 31}, "tags"),
        ({"tags": "a\u202eb"}, "tags"),
        ({"tags": " ".join(f"t{i}" for i in range(21))}, "tags"),
    ],
)
def test_bad_fields_are_refused_and_change_nothing(fields, field):
    provider, customer, _session = met()
    with pytest.raises(InvalidInput) as refused:
        card_for(provider, customer, **fields)
    assert field in refused.value.errors
    assert not Card.objects.exists()
    assert not Tag.objects.exists()


def test_a_mismatch_names_one_of_this_customers_sessions():
    provider, customer, _session = met()
    elsewhere = SessionFactory(completed=True)
    with pytest.raises(InvalidInput) as refused:
        card_for(provider, customer, mismatch=True, mismatch_session_id=elsewhere.pk)
    assert "mismatch_session" in refused.value.errors
    assert not Card.objects.exists()


def test_notes_are_added_edited_and_deleted_with_their_times():
    provider, customer, _session = met()
    note = cards.note_add(provider=provider, customer_id=customer.pk, text="  猫の話が好き ")
    assert note.text == "猫の話が好き"
    edited = cards.note_edit(provider=provider, note_id=note.pk, text="猫と紅茶の話が好き")
    assert edited.updated_at >= edited.created_at
    assert Note.objects.get().folded == "猫と紅茶の話が好き"
    cards.note_delete(provider=provider, note_id=note.pk)
    assert not Note.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "a\x00b", "a\u202eb", "x" * 2001])
def test_bad_notes_are_refused(text):
    provider, customer, _session = met()
    with pytest.raises(InvalidInput) as refused:
        cards.note_add(provider=provider, customer_id=customer.pk, text=text)
    assert "text" in refused.value.errors
    assert not Note.objects.exists()


def test_a_customer_who_only_wrote_has_a_card_too():
    provider = ProviderFactory()
    free_messages(provider)
    customer = UserFactory()
    send(customer, provider, "はじめまして")
    note = cards.note_add(provider=provider, customer_id=customer.pk, text="メッセージから")
    assert note.card.relationship.customer_id == customer.pk


def test_strangers_and_the_provider_themself_have_no_card():
    provider, _customer, _session = met()
    for customer_id in (UserFactory().pk, provider.user_id, 0, -1, "x", 10**20):
        with pytest.raises(NotFound):
            card_get_for_provider(provider=provider, customer_id=customer_id)
        with pytest.raises(NotFound):
            cards.note_add(provider=provider, customer_id=customer_id, text="だれ?")
    assert not Card.objects.exists()


def test_tier_names_are_the_providers_own_and_blank_goes_back_to_the_default():
    provider = ProviderFactory()
    defaults = tier_names(provider=provider)
    cards.tier_names_set(provider=provider, names={1: "いちばん", 2: "", 3: "", 4: ""})
    assert tier_names(provider=provider)[1] == "いちばん"
    assert tier_names(provider=ProviderFactory())[1] == defaults[1]
    cards.tier_names_set(provider=provider, names={1: ""})
    assert tier_names(provider=provider) == defaults
    with pytest.raises(InvalidInput) as refused:
        cards.tier_names_set(provider=provider, names={2: "x" * 21})
    assert "tier_2" in refused.value.errors


def test_note_and_tier_after_a_call_in_one_step():
    provider, customer, _session = met()
    card = cards.card_note_and_tier(
        provider=provider, customer_id=customer.pk, text="声が明るくなった", tier=2
    )
    assert card.tier == 2
    assert card.notes.get().text == "声が明るくなった"
    with pytest.raises(InvalidInput):
        cards.card_note_and_tier(provider=provider, customer_id=customer.pk, text="x", tier=7)
    assert Card.objects.get().tier == 2
    assert Note.objects.count() == 1


def test_the_tier_reaches_the_relationship_row_for_the_access_policy():
    from aizuchi.relationships.models import Relationship

    provider, customer, _session = met()
    card_for(provider, customer, tier=1)
    assert Relationship.objects.get(provider=provider, customer=customer).tier == 1
    cards.card_note_and_tier(provider=provider, customer_id=customer.pk, text="", tier=None)
    assert Relationship.objects.get(provider=provider, customer=customer).tier is None
