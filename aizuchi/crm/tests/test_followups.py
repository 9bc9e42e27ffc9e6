"""Follow-ups: to one customer or a hand-picked handful (never more than the cap), from a
template, now or scheduled (changed, cancelled, sent by the job), delivered as a message
in the thread and kept on the card; another provider reaches none of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aizuchi.access.services import customer_block_set
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.crm.models import FollowUp
from aizuchi.crm.services import followups
from aizuchi.messaging.models import Message, Thread
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import met

pytestmark = pytest.mark.django_db


def _texts(provider, customer) -> list[str]:
    return list(
        Message.objects.filter(thread__provider=provider, thread__customer=customer)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_a_follow_up_now_is_a_message_in_the_thread_with_the_placeholders_filled():
    provider, customer, session = met(display_name="さくら")
    [sent] = followups.followup_create(
        provider=provider,
        customer_ids=[customer.pk],
        body="{name}さん、{last_session_date}はありがとうございました。{my_name}より",
    )
    assert sent.status == FollowUp.Status.SENT
    [text] = _texts(provider, customer)
    assert text.startswith("さくらさん、")
    assert provider.display_name in text
    assert "{" not in text
    assert sent.message_id == Message.objects.get().pk
    assert sent.card.relationship.customer_id == customer.pk


def test_a_handful_each_get_their_own_and_the_cap_holds():
    provider = ProviderFactory()
    customers = [met(provider)[1] for _ in range(followups.FOLLOWUP_MAX_RECIPIENTS + 1)]
    with pytest.raises(InvalidInput) as refused:
        followups.followup_create(
            provider=provider, customer_ids=[c.pk for c in customers], body="お元気ですか"
        )
    assert "customers" in refused.value.errors
    assert not FollowUp.objects.exists()
    assert not Message.objects.exists()
    made = followups.followup_create(
        provider=provider, customer_ids=[c.pk for c in customers[:3]], body="{name}さんへ"
    )
    assert len(made) == 3
    assert Thread.objects.filter(provider=provider).count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "{birthday}おめでとう"}, "body"),
        ({"customer_ids": []}, "customers"),
        ({"customer_ids": ["x"]}, "customers"),
        ({"send_at": timezone.now() - timedelta(days=1)}, "send_at"),
        ({"send_at": timezone.now() + timedelta(days=120)}, "send_at"),
        ({"template_id": 999999}, "template"),
    ],
)
def test_bad_follow_ups_are_refused_and_leave_nothing(fields, field):
    provider, customer, _session = met()
    values = {"customer_ids": [customer.pk], "body": "こんにちは", **fields}
    with pytest.raises(InvalidInput) as refused:
        followups.followup_create(provider=provider, **values)
    assert field in refused.value.errors
    assert not FollowUp.objects.exists()
    assert not Message.objects.exists()


def test_someone_elses_customer_or_a_blocked_one_is_refused():
    provider, customer, _session = met()
    _other, stranger, _s = met()
    with pytest.raises(InvalidInput):
        followups.followup_create(provider=provider, customer_ids=[stranger.pk], body="やあ")
    customer_block_set(provider=provider, customer_id=customer.pk, blocked=True)
    with pytest.raises(InvalidInput):
        followups.followup_create(provider=provider, customer_ids=[customer.pk], body="やあ")
    assert not FollowUp.objects.exists()


def test_scheduled_ones_wait_can_change_or_be_cancelled_and_the_job_sends_them():
    provider, customer, _session = met()
    now = timezone.now()
    later = now + timedelta(hours=2)
    [first, second] = [
        followups.followup_create(
            provider=provider, customer_ids=[customer.pk], body=body, send_at=later, now=now
        )[0]
        for body in ("一通目", "二通目")
    ]
    assert first.status == FollowUp.Status.SCHEDULED
    assert followups.followups_due_send(now=now + timedelta(hours=1)) == 0
    followups.followup_edit(
        provider=provider,
        followup_id=first.pk,
        body="一通目(書き直し)",
        send_at=now + timedelta(hours=3),
        now=now,
    )
    followups.followup_cancel(provider=provider, followup_id=second.pk)
    assert followups.followups_due_send(now=now + timedelta(hours=2, minutes=30)) == 0
    assert followups.followups_due_send(now=now + timedelta(hours=3)) == 1
    assert _texts(provider, customer) == ["一通目(書き直し)"]
    with pytest.raises(Conflict):
        followups.followup_cancel(provider=provider, followup_id=first.pk)
    with pytest.raises(Conflict):
        followups.followup_edit(provider=provider, followup_id=second.pk, body="x", send_at=None)


def test_a_customer_blocked_after_scheduling_is_not_written_to():
    provider, customer, _session = met()
    now = timezone.now()
    [scheduled] = followups.followup_create(
        provider=provider,
        customer_ids=[customer.pk],
        body="また話しましょう",
        send_at=now + timedelta(hours=1),
        now=now,
    )
    customer_block_set(provider=provider, customer_id=customer.pk, blocked=True)
    followups.followups_due_send(now=now + timedelta(hours=1))
    scheduled.refresh_from_db()
    assert scheduled.status == FollowUp.Status.FAILED
    assert scheduled.failure
    assert not Message.objects.exists()


def test_another_provider_reaches_no_follow_up_or_template():
    provider, customer, _session = met()
    template = followups.template_save(
        provider=provider, name="お礼", body="{name}さん、ありがとう"
    )
    [scheduled] = followups.followup_create(
        provider=provider,
        customer_ids=[customer.pk],
        body="あとで",
        send_at=timezone.now() + timedelta(hours=1),
    )
    other = ProviderFactory()
    for call in (
        lambda: followups.followup_cancel(provider=other, followup_id=scheduled.pk),
        lambda: followups.followup_edit(
            provider=other, followup_id=scheduled.pk, body="x", send_at=None
        ),
        lambda: followups.template_delete(provider=other, template_id=template.pk),
    ):
        with pytest.raises(NotFound):
            call()
    client = Client()
    client.force_login(other.user)
    for url in (
        reverse("crm:followup_edit", args=[scheduled.pk]),
        reverse("crm:template_edit", args=[template.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("crm:followup_cancel", args=[scheduled.pk])).status_code == 404
    scheduled.refresh_from_db()
    assert scheduled.status == FollowUp.Status.SCHEDULED


def test_writing_from_a_template_through_the_pages():
    provider, customer, _session = met(display_name="ひかり")
    client = Client()
    client.force_login(provider.user)
    client.post(
        reverse("crm:templates"), {"name": "お礼", "body": "{name}さん、ありがとうございました"}
    )
    template = provider.crm_templates.get()
    page = client.get(reverse("crm:followup_new"), {"to": customer.pk, "template": template.pk})
    assert "{name}さん、ありがとうございました" in page.content.decode()
    response = client.post(
        reverse("crm:followup_new"),
        {"customers": [customer.pk], "body": template.body, "template": template.pk},
    )
    assert response.status_code == 302
    assert _texts(provider, customer) == ["ひかりさん、ありがとうございました"]
    card = client.get(reverse("crm:card", args=[customer.pk])).content.decode()
    assert "ひかりさん、ありがとうございました" in card


def test_the_cap_holds_over_http():
    provider = ProviderFactory()
    ids = [met(provider)[1].pk for _ in range(followups.FOLLOWUP_MAX_RECIPIENTS + 1)]
    client = Client()
    client.force_login(provider.user)
    response = client.post(reverse("crm:followup_new"), {"customers": ids, "body": "みなさんへ"})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_the_job_is_scheduled():
    assert settings.AIZUCHI_SCHEDULE["crm.followups"]["task"] == (
        "aizuchi.crm.tasks.followups_due_task"
    )
