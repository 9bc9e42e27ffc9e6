"""Reports and staff decisions: once per reporter, every open report closed by one
decision, the message hidden for both sides, the sender warned or suspended, and each
reporter told the outcome in their own language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.messaging.models import MessageReport
from aizuchi.messaging.services import reports
from aizuchi.notifications.kinds import render
from aizuchi.notifications.models import Notification
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import free_messages, reply, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    provider = ProviderFactory()
    customer = UserFactory()
    free_messages(provider, count=5)
    first = send(customer, provider, "ご相談です")
    bad = reply(provider, first.thread, "失礼な返事")
    return provider, customer, first, bad


def test_either_side_reports_the_others_message_once(pair):
    provider, customer, first, bad = pair
    reports.message_report(user=customer, message_id=bad.pk, reason=" 言葉がきついです ")
    assert MessageReport.objects.get().reason == "言葉がきついです"
    with pytest.raises(Conflict):
        reports.message_report(user=customer, message_id=bad.pk, reason="もう一度")
    reports.message_report(user=provider.user, message_id=first.pk, reason="営業目的")
    with pytest.raises(Conflict):
        reports.message_report(user=customer, message_id=first.pk, reason="自分の")
    with pytest.raises(NotFound):
        reports.message_report(user=UserFactory(), message_id=bad.pk, reason="のぞき見")
    for reason, field in (("", "reason"), ("あ" * 501, "reason"), ("ベル\x07", "reason")):
        with pytest.raises(InvalidInput) as refused:
            reports.message_report(user=provider.user, message_id=first.pk, reason=reason)
        assert field in refused.value.errors
    assert MessageReport.objects.count() == 2


@pytest.mark.parametrize(
    ("decision", "hidden", "active", "warned", "told_en", "told_ja"),
    [
        ("dismiss", False, True, False, "no action was needed", "対応は必要ないと判断しました"),
        ("hide", True, True, False, "the message was hidden", "メッセージを非表示にしました"),
        (
            "warn",
            True,
            True,
            True,
            "the message was hidden and the sender warned",
            "送信者に警告しました",
        ),
        (
            "suspend",
            True,
            False,
            False,
            "the message was hidden and the sender's account suspended",
            "送信者のアカウントを停止しました",
        ),
    ],
)
def test_staff_decide_once_and_the_reporters_are_told(
    pair, decision, hidden, active, warned, told_en, told_ja
):
    provider, customer, first, bad = pair
    second_reporter = customer
    reports.message_report(user=second_reporter, message_id=bad.pk, reason="ひどい")
    staff = UserFactory(is_staff=True)
    with pytest.raises(NotFound):
        reports.report_decide(user=customer, message_id=bad.pk, decision="hide")
    with pytest.raises(InvalidInput):
        reports.report_decide(user=staff, message_id=bad.pk, decision="delete everything")
    reports.report_decide(user=staff, message_id=bad.pk, decision=decision, note="規約違反")
    bad.refresh_from_db()
    provider.user.refresh_from_db()
    assert (bad.hidden_at is not None) == hidden
    assert provider.user.is_active == active
    assert MessageReport.objects.get().status == "decided"
    with pytest.raises(Conflict):
        reports.report_decide(user=staff, message_id=bad.pk, decision="hide")
    told = Notification.objects.get(user=customer, kind="message_report_decided")
    from django.utils import translation

    with translation.override("en"):
        assert render(told.kind, told.params)[1].endswith(f"{told_en}.")
    with translation.override("ja"):
        assert told_ja in render(told.kind, told.params)[1]
    assert Notification.objects.filter(user=provider.user, kind="message_warning").exists() == (
        warned
    )


def test_a_hidden_message_keeps_its_place_and_loses_its_words(client, pair):
    provider, customer, first, bad = pair
    reports.message_report(user=customer, message_id=bad.pk, reason="ひどい")
    reports.report_decide(user=UserFactory(is_staff=True), message_id=bad.pk, decision="hide")
    for person in (customer, provider.user):
        client.force_login(person)
        html = client.get(reverse("messaging:thread", args=[bad.thread_id])).content.decode()
        assert "失礼な返事" not in html
        assert f'id="m{bad.pk}"' in html
    client.force_login(customer)
    results = client.get(reverse("messaging:inbox"), {"q": "失礼"}).content.decode()
    assert "失礼な返事" not in results


def test_a_suspended_account_is_signed_out_everywhere(pair):
    provider, customer, first, bad = pair
    browser = Client()
    browser.force_login(provider.user)
    assert browser.get(reverse("messaging:provider_inbox")).status_code == 200
    reports.message_report(user=customer, message_id=bad.pk, reason="脅しです")
    reports.report_decide(user=UserFactory(is_staff=True), message_id=bad.pk, decision="suspend")
    assert browser.get(reverse("messaging:provider_inbox")).status_code == 302  # to log in
