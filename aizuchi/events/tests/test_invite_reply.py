"""One click from a message thread: a customer's personal request ("会えませんか？") gets the
provider's template reply inviting them to the next suitable event, through messaging."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from aizuchi.access.services import customer_block_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import InvalidInput
from aizuchi.events.models import Event, Invitation
from aizuchi.events.services.events import event_create
from aizuchi.messaging.models import Message, Thread
from aizuchi.messaging.services.threads import message_send_to_provider
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import event_fields, event_make, funded

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _asked(provider, customer) -> Thread:
    message_send_to_provider(
        customer=customer, provider_id=provider.pk, text="会えませんか？", client_id="ask-1"
    )
    return Thread.objects.get(provider=provider, customer=customer)


def test_one_click_invites_to_the_next_event_once():
    customer = funded(UserFactory(language="ja"))
    event = event_make(audience=Event.Audience.INVITED, title="月例お茶会")
    thread = _asked(event.provider, customer)
    host = _client(event.provider.user)
    page = host.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert reverse("events:invite_reply", args=[thread.pk]) in page
    assert "月例お茶会" in page
    for _ in range(2):
        response = host.post(reverse("events:invite_reply", args=[thread.pk]))
        assert response.status_code == 302
    replies = Message.objects.filter(thread=thread).exclude(text="会えませんか？")
    assert replies.count() == 1
    text = replies.get().text
    assert "月例お茶会" in text
    assert reverse("events:detail", args=[event.pk]) in text
    assert "お声がけありがとうございます" in text
    assert Invitation.objects.filter(event=event, customer=customer).exists()
    guest_page = _client(customer).get(reverse("events:detail", args=[event.pk]))
    assert guest_page.status_code == 200


def test_nobody_else_can_send_it_and_without_an_event_nothing_is_offered():
    customer = funded(UserFactory())
    provider = ProviderFactory()
    thread = _asked(provider, customer)
    page = _client(provider.user).get(reverse("messaging:thread", args=[thread.pk]))
    assert reverse("events:invite_reply", args=[thread.pk]) not in page.content.decode()
    response = _client(provider.user).post(reverse("events:invite_reply", args=[thread.pk]))
    assert response.status_code == 302
    assert Message.objects.filter(thread=thread).count() == 1
    event_make(provider)
    other = ProviderFactory()
    assert (
        _client(other.user).post(reverse("events:invite_reply", args=[thread.pk])).status_code
        == 404
    )
    # The customer of the thread is not its provider: sent to open a storefront.
    assert (
        _client(customer).post(reverse("events:invite_reply", args=[thread.pk])).status_code == 302
    )
    assert Message.objects.filter(thread=thread).count() == 1


def test_a_blocked_customer_is_offered_no_invitation_and_a_post_is_refused_kindly():
    customer = funded(UserFactory(language="ja"))
    event = event_make(title="月例お茶会")
    thread = _asked(event.provider, customer)
    customer_block_set(provider=event.provider, customer_id=customer.pk, blocked=True)
    host = _client(event.provider.user)
    page = host.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert reverse("events:invite_reply", args=[thread.pk]) not in page
    response = host.post(reverse("events:invite_reply", args=[thread.pk]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Message.objects.filter(thread=thread).exclude(text="会えませんか？").exists()


def test_the_reply_is_the_providers_own_words_with_the_placeholders_filled():
    customer = funded(UserFactory(language="ja", display_name="みお"))
    event = event_make(
        title="月例お茶会",
        invite_reply="{name}さん、個別にはお会いしていないのですが、{title}でお待ちしています。",
    )
    thread = _asked(event.provider, customer)
    _client(event.provider.user).post(reverse("events:invite_reply", args=[thread.pk]))
    text = Message.objects.filter(thread=thread).exclude(text="会えませんか？").get().text
    first, link = text.split("\n")
    assert first == "みおさん、個別にはお会いしていないのですが、月例お茶会でお待ちしています。"
    # The link was left out of the words, so it follows them: an invitation needs it.
    assert link.endswith(reverse("events:detail", args=[event.pk]))


def test_a_reply_with_an_unknown_placeholder_is_a_field_error_and_changes_nothing():
    provider = ProviderFactory()
    with pytest.raises(InvalidInput) as refused:
        event_create(
            user=provider.user,
            fields=event_fields(invite_reply="{name}さん、{address}で会いましょう"),
        )
    [message] = refused.value.errors["invite_reply"]
    assert "{address}" in str(message)
    assert not Event.objects.exists()
