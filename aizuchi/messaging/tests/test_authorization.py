"""Nobody reads or writes a thread they are not in, whatever ids they try, over HTTP and
over the socket; staff see reported messages (and their photos) only, never a thread."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.forms import new_key
from aizuchi.core.testing import (
    LoopThread,
    drained,
    next_of,
    socket_headers,
    socket_open,
    socket_rates,
)
from aizuchi.messaging.models import Message, MessageReport, Thread
from aizuchi.messaging.services import reports
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import free_messages, photo, reply, send

IDS = st.one_of(st.integers(min_value=-5, max_value=10**6), st.integers(min_value=2**62))


@pytest.fixture
def world(db):
    provider = ProviderFactory()
    customer = UserFactory()
    free_messages(provider, count=10)
    first = send(customer, provider, "はじめまして", images=[photo()])
    answer = reply(provider, first.thread, "ようこそ")
    other = send(UserFactory(), ProviderFactory(), "よその会話")
    return {
        "provider": provider,
        "customer": customer,
        "stranger": UserFactory(),
        "staff": UserFactory(is_staff=True),
        "thread": first.thread,
        "first": first,
        "answer": answer,
        "image": first.images.get(),
        "other": other,
    }


def _client(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def _state() -> list:
    return [
        list(Message.objects.order_by("pk").values_list("pk", "text", "hidden_at", "refunded_at")),
        list(
            Thread.objects.order_by("pk").values_list(
                "pk", "customer_read_id", "provider_read_id", "customer_unread", "provider_unread"
            )
        ),
        list(MessageReport.objects.values_list("pk", "status")),
    ]


# (name, method, url, data) for each page of a thread, its messages and its photos.
def _pages(w) -> list[tuple[str, str, str, dict]]:
    thread, first, answer, image = w["thread"], w["first"], w["answer"], w["image"]
    text = {"text": "のぞき見", "idempotency_key": new_key()}
    return [
        ("thread", "get", reverse("messaging:thread", args=[thread.pk]), {}),
        ("older", "get", reverse("messaging:thread", args=[thread.pk]) + "?before=99", {}),
        ("composer", "get", reverse("messaging:thread", args=[thread.pk]) + "?part=composer", {}),
        ("send", "post", reverse("messaging:thread", args=[thread.pk]), text),
        ("block", "post", reverse("messaging:block", args=[thread.pk]), {"action": "block"}),
        ("report", "get", reverse("messaging:report", args=[answer.pk]), {}),
        ("report it", "post", reverse("messaging:report", args=[answer.pk]), {"reason": "x"}),
        ("refund", "post", reverse("messaging:refund", args=[first.pk]), {}),
        ("photo", "get", reverse("messaging:image", args=[image.pk]), {}),
        ("moderate", "post", reverse("messaging:moderation_decide", args=[first.pk]), {}),
    ]


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_someone_outside_the_thread_gets_not_found_everywhere_and_changes_nothing(world, who):
    client = _client(world[who])
    before = _state()
    for name, method, url, data in _pages(world):
        if who == "staff" and name == "moderate":
            continue  # staff's own page (below)
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (name, response.status_code)
    assert _state() == before


def test_signed_out_people_are_sent_to_log_in_and_change_nothing(world):
    client = _client(None)
    before = _state()
    for name, method, url, data in _pages(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name
    for url in (reverse("messaging:inbox"), reverse("messaging:moderation")):
        assert client.get(url)["Location"].startswith(reverse("account_login"))
    assert _state() == before


def test_each_side_may_do_only_its_own_part(world):
    customer, provider = _client(world["customer"]), _client(world["provider"].user)
    thread = world["thread"]
    # The customer cannot block, refund or report their own message.
    assert customer.post(reverse("messaging:block", args=[thread.pk])).status_code == 404
    assert customer.post(reverse("messaging:refund", args=[world["first"].pk])).status_code == 404
    own = customer.post(reverse("messaging:report", args=[world["first"].pk]), {"reason": "x"})
    assert own.status_code == 400
    # Each reads the thread, and each inbox lists only its own side.
    for client in (customer, provider):
        assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 200
    listed = customer.get(reverse("messaging:inbox")).content.decode()
    assert f'data-thread-row="{thread.pk}"' in listed
    assert f'data-thread-row="{world["other"].thread_id}"' not in listed
    shop = provider.get(reverse("messaging:provider_inbox")).content.decode()
    assert f'data-thread-row="{thread.pk}"' in shop
    # Another provider's area never shows this thread, nor lets them write to its customer.
    elsewhere = _client(world["other"].thread.provider.user)
    assert (
        f'data-thread-row="{thread.pk}"'
        not in elsewhere.get(reverse("messaging:provider_inbox")).content.decode()
    )
    to_customer = reverse("messaging:to_customer", args=[world["customer"].pk])
    assert elsewhere.get(to_customer).status_code == 404
    assert (
        elsewhere.post(to_customer, {"text": "x", "idempotency_key": new_key()}).status_code == 404
    )


def test_staff_see_reported_messages_and_their_photos_only(world):
    staff = _client(world["staff"])
    image_url = reverse("messaging:image", args=[world["image"].pk])
    assert staff.get(image_url).status_code == 404
    assert "はじめまして" not in staff.get(reverse("messaging:moderation")).content.decode()
    reports.message_report(user=world["provider"].user, message_id=world["first"].pk, reason="x")
    queue = staff.get(reverse("messaging:moderation")).content.decode()
    assert "はじめまして" in queue
    assert "ようこそ" not in queue  # the reply was not reported
    assert staff.get(image_url).status_code == 200
    assert staff.get(reverse("messaging:thread", args=[world["thread"].pk])).status_code == 404
    # and only staff may decide
    customer = _client(world["customer"])
    decide = reverse("messaging:moderation_decide", args=[world["first"].pk])
    assert customer.post(decide, {f"m{world['first'].pk}-decision": "hide"}).status_code == 404
    assert not Message.objects.filter(hidden_at__isnull=False).exists()


@hypothesis_settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(thread_id=IDS, message_id=IDS)
def test_whatever_ids_a_stranger_tries_over_http_they_find_nothing(world, thread_id, message_id):
    client = _client(world["stranger"])
    before = _state()
    pages = [
        ("get", "/messages/t/{t}/"),
        ("post", "/messages/t/{t}/"),
        ("post", "/messages/t/{t}/block/"),
        ("get", "/messages/m/{m}/report/"),
        ("post", "/messages/m/{m}/report/"),
        ("post", "/messages/m/{m}/refund/"),
        ("get", "/messages/images/{m}/"),
    ]
    for method, pattern in pages:
        url = pattern.format(t=thread_id, m=message_id)
        data = {"text": "x", "idempotency_key": new_key(), "reason": "x"}
        assert getattr(client, method)(url, data).status_code == 404, url
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_whatever_ids_a_stranger_sends_over_the_socket_they_reach_nothing(settings):
    socket_rates(settings)
    provider, customer, stranger = ProviderFactory(), UserFactory(), UserFactory()
    free_messages(provider, count=10)
    thread = send(customer, provider, "二人だけの話").thread
    before = _state()
    with LoopThread() as loop:
        theirs = loop.run(socket_open("/ws/messages/", socket_headers(provider.user)))
        loop.run(next_of(theirs, "messages.state"))
        mine = loop.run(socket_open("/ws/messages/", socket_headers(stranger)))
        state = loop.run(next_of(mine, "messages.state"))
        assert (state["unread_count"], state["thread"]) == (0, None)

        @hypothesis_settings(max_examples=60, deadline=None)
        @given(thread_id=st.integers(min_value=1, max_value=2**63 - 1), up_to=st.integers(1, 10**6))
        def probe(thread_id, up_to):
            for frame in (
                {"type": "message.send", "thread_id": thread_id, "client_id": "p", "text": "x"},
                {"type": "message.read", "thread_id": thread_id, "up_to": up_to},
            ):
                loop.run(mine.send_json_to(frame))
                error = loop.run(next_of(mine, "error"))
                assert error["code"] == "not_found", error

        probe()
        probe_thread = {
            "type": "message.send",
            "thread_id": thread.pk,
            "client_id": "p",
            "text": "x",
        }
        loop.run(mine.send_json_to(probe_thread))
        assert loop.run(next_of(mine, "error"))["code"] == "not_found"
        # The pair's own traffic is never heard by the stranger.
        loop.run(theirs.send_json_to({**probe_thread, "client_id": "r", "text": "お返事"}))
        loop.run(next_of(theirs, "message.ack"))
        heard = loop.run(drained(mine))
        assert not [m for m in heard if m["type"].startswith("message")], heard
        loop.run(mine.disconnect())
        loop.run(theirs.disconnect())
    after = _state()
    assert after[0] == [*before[0], after[0][-1]]  # only the provider's reply was added
    assert after[0][-1][1] == "お返事"
