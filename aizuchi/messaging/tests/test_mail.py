"""The e-mail for unread messages: after they have waited, once per thread, again only
after a while and only for newer messages, in the reader's language, never for those
who turned it off; through the task queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.messaging.models import Thread
from aizuchi.messaging.services.mail import unread_mail_sweep
from aizuchi.messaging.services.threads import thread_read
from aizuchi.messaging.tasks import unread_mail_task
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import free_messages, reply, send

pytestmark = pytest.mark.django_db

START = timezone.datetime(2026, 12, 7, 3, 0, tzinfo=timezone.UTC)


def _sweep(at) -> int:
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return unread_mail_sweep()


@pytest.fixture
def pair():
    provider = ProviderFactory(display_name="はるか")
    provider.user.language = "en"
    provider.user.save()
    customer = UserFactory(display_name="ゆき", language="ja")
    free_messages(provider, count=10)
    return provider, customer


def test_one_mail_after_the_wait_then_none_until_more_and_later(pair):
    provider, customer = pair
    with time_machine.travel(START, tick=False):
        send(customer, provider, "はじめまして")
    assert _sweep(START + timedelta(minutes=5)) == 0  # not waited long enough
    assert _sweep(START + timedelta(minutes=16)) == 1
    sent = mail.outbox[-1]
    assert sent.to == [provider.user.email]
    assert sent.subject == "A message from ゆき is waiting for you"
    thread = Thread.objects.get()
    assert f"/messages/t/{thread.pk}/" in sent.body
    assert _sweep(START + timedelta(hours=4)) == 0  # nothing new since the mail
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        send(customer, provider, "もう一通")
    assert _sweep(START + timedelta(hours=2)) == 0  # within three hours of the last mail
    assert _sweep(START + timedelta(hours=3, minutes=20)) == 1
    assert "2 messages you have not read yet" in mail.outbox[-1].body
    assert len(mail.outbox) == 2


def test_the_mail_is_in_the_readers_language_and_read_messages_bring_none(pair):
    provider, customer = pair
    with time_machine.travel(START, tick=False):
        thread = send(customer, provider, "はじめまして").thread
        reply(provider, thread, "ようこそ")  # the provider read it by replying
    assert _sweep(START + timedelta(minutes=20)) == 1
    sent = mail.outbox[-1]
    assert sent.to == [customer.email]
    assert sent.subject == "はるかさんからのメッセージが届いています"
    with time_machine.travel(START + timedelta(hours=5), tick=False):
        reply(provider, Thread.objects.get(), "お待ちしています")
        thread = Thread.objects.select_related("provider__user", "customer").get()
        thread_read(user=customer, thread=thread)
    assert _sweep(START + timedelta(hours=6)) == 0


def test_nobody_is_written_to_who_turned_it_off_or_is_suspended(pair):
    provider, customer = pair
    provider.user.email_on_message = False
    provider.user.save()
    other = ProviderFactory()
    other.user.is_active = False
    other.user.save()
    free_messages(other, count=3)
    with time_machine.travel(START, tick=False):
        send(customer, provider, "こんにちは")
        send(customer, other, "こんにちは")
    assert _sweep(START + timedelta(hours=1)) == 0
    assert mail.outbox == []


def test_the_scheduled_task_sends_through_the_queue(pair):
    provider, customer = pair
    send(customer, provider, "こんにちは")
    Thread.objects.update(provider_unread_since=timezone.now() - timedelta(hours=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        result = unread_mail_task.enqueue()
    assert result.return_value == 1
    assert len(mail.outbox) == 1
