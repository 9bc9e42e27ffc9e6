"""Sending and reading messages through the services: the provider's policy decides what a
message costs, a resend never stores or charges twice, and whatever is refused leaves
nothing behind."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone, translation
from PIL import Image

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, Invoice
from aizuchi.billing.tests.factories import (
    OfferingFactory,
    earnings_yen,
    fund,
    postpaid_invoice,
    wallet_yen,
)
from aizuchi.booking.services.bookings import booking_request
from aizuchi.booking.services.slots import slots_for
from aizuchi.booking.tests.factories import bookable_offering, customer_with_points
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refused
from aizuchi.core.realtime import user_group
from aizuchi.core.testing import pushed_to as pushed_after_commit
from aizuchi.messaging import realtime
from aizuchi.messaging.models import Message, MessageImage, Thread, private_storage
from aizuchi.messaging.selectors import message_quote_for_customer, unread_total
from aizuchi.messaging.services import threads
from aizuchi.relationships.services import relationship_block, relationship_session_completed
from aizuchi.storefront.models import Provider
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import client_id, free_messages, message_policy, paid_messages, photo, reply, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(display_name="はるか")


@pytest.fixture
def customer():
    return UserFactory(display_name="ゆき")


def pushed_to(group, action):
    """What ``group`` hears when ``action`` commits (the test's transaction never does)."""

    def committed():
        with TestCase.captureOnCommitCallbacks(execute=True):
            return action()

    return pushed_after_commit(group, committed)


def _en(message) -> str:
    with translation.override("en"):
        return str(message)


def _nothing_stored() -> None:
    assert not Message.objects.exists()
    assert not Charge.objects.exists()
    assert not MessageImage.objects.exists()


# --- free messages ----------------------------------------------------------------------------


def test_a_newcomer_writes_once_for_free_by_default_and_then_is_told_plainly(provider, customer):
    message = send(customer, provider, " 電話は苦手で…\r\nメッセージでもいいですか？ ")
    assert (message.text, message.free, message.price_yen) == (
        "電話は苦手で…\nメッセージでもいいですか？",
        True,
        0,
    )
    thread = Thread.objects.get()
    assert (thread.provider_unread, thread.customer_unread) == (1, 0)
    assert thread.customer_read_id == message.pk  # writing is reading
    assert thread.last_preview == "電話は苦手で… メッセージでもいいですか？"
    with pytest.raises(Refused) as refused:
        send(customer, provider, "もう一通")
    assert refused.value.codes == ["free_messages_used"]
    assert _en(refused.value.reasons[0].message) == (
        "You have sent the free messages はるか takes from one person (1)."
    )
    assert Message.objects.count() == 1


def test_the_quote_counts_what_is_left_and_the_price_after(provider, customer):
    free_messages(provider, count=2, price=200)
    fund(customer, 1000)
    terms = message_quote_for_customer(customer=customer, provider=provider).message
    assert (terms.free_left, terms.price_yen, terms.price_after_free_yen) == (2, 0, 200)
    send(customer, provider)
    send(customer, provider)
    quote = message_quote_for_customer(customer=customer, provider=provider)
    assert (quote.message.free_left, quote.message.price_yen, quote.message.balance_yen) == (
        0,
        200,
        1000,
    )
    assert quote.allowed
    # A priced message offers the other ways in (the provider is offline: no call now).
    assert [step.code for step in quote.next_steps] == ["book"]


def test_monthly_free_messages_start_again_on_the_first_in_the_providers_zone(provider, customer):
    free_messages(provider, count=1, period="month")
    with time_machine.travel("2026-12-31 23:30 +0900", tick=False):
        send(customer, provider)
        with pytest.raises(Refused) as refused:
            send(customer, provider)
        assert refused.value.codes == ["free_messages_used"]
    # 00:10 on 1 January in Tokyo is still December in UTC: the month is the provider's.
    with time_machine.travel("2027-01-01 00:10 +0900", tick=False):
        again = send(customer, provider)
    assert again.free
    assert Message.objects.filter(free=True).count() == 2


def test_regulars_and_newcomers_each_have_their_own_policy(provider, customer):
    message_policy(provider, "newcomers", mode="closed")
    message_policy(provider, "regulars", mode="free", free_count=5)
    with pytest.raises(Refused) as refused:
        send(customer, provider)
    assert refused.value.codes == ["messages_closed"]
    relationship_session_completed(provider_id=provider.pk, customer_id=customer.pk)
    assert send(customer, provider).free


def test_a_busy_or_offline_provider_still_gets_the_message(provider, customer):
    for state in ("in_session", "appointment", "offline", "away"):
        Provider.objects.filter(pk=provider.pk).update(presence_state=state)
        provider.refresh_from_db()
        free_messages(provider, count=10)
        assert send(customer, provider, f"{state}でも届きますか").free


# --- paid messages ----------------------------------------------------------------------------


def test_a_paid_message_is_charged_once_at_the_price_the_page_showed(provider, customer):
    paid_messages(provider, 300)
    fund(customer, 1000)
    key = client_id()
    with pytest.raises(Refused) as unnamed:
        send(customer, provider, "相談です", client_id=key)  # no price named: not charged
    assert unnamed.value.codes == ["price_changed"]
    with pytest.raises(Refused) as wrong:
        send(customer, provider, "相談です", client_id=key, price_yen=200)
    assert wrong.value.codes == ["price_changed"]
    _nothing_stored()
    message = send(customer, provider, "相談です", client_id=key, price_yen=300)
    again = send(customer, provider, "相談です", client_id=key, price_yen=300)  # a resend
    assert again.pk == message.pk
    charge = Charge.objects.get()
    assert (charge.message_id, charge.amount_yen, charge.payment) == (message.pk, 300, "prepaid")
    assert message.charge_id == charge.pk
    assert not message.free
    assert wallet_yen(customer) == 700
    assert earnings_yen(provider) == 240  # less the platform's 20 %
    assert ledger.balance_yen(ledger.hold_account(customer)) == 0  # nothing left held


def test_points_that_do_not_cover_a_message_refuse_it_with_the_way_on(provider, customer):
    paid_messages(provider, 300)
    fund(customer, 500)
    send(customer, provider, price_yen=300)
    with pytest.raises(Refused) as refused:
        send(customer, provider, price_yen=300)
    assert refused.value.codes == ["insufficient_points"]
    assert _en(refused.value.reasons[0].message) == (
        "This message costs ¥300 in points and you have ¥200. Buy points to send it."
    )
    quote = message_quote_for_customer(customer=customer, provider=provider)
    assert [step.code for step in quote.next_steps] == ["buy_points", "book"]
    assert Message.objects.count() == 1
    assert Charge.objects.count() == 1


def test_postpaid_messages_go_onto_an_invoice_and_an_overdue_one_stops_them(provider, customer):
    paid_messages(provider, 300, payment="postpaid")
    message = send(customer, provider, price_yen=300)
    invoice = Invoice.objects.get(customer=customer)
    assert (invoice.charge.message_id, invoice.amount_yen) == (message.pk, 300)
    Invoice.objects.filter(pk=invoice.pk).update(
        issued_at=timezone.now() - timedelta(days=9), due_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(Refused) as refused:
        send(customer, provider, price_yen=300)
    assert refused.value.codes == ["overdue_invoice"]


def test_an_overdue_invoice_does_not_stop_a_free_message(provider, customer):
    postpaid_invoice(customer, OfferingFactory(provider=provider, payment="postpaid"))
    Invoice.objects.update(
        issued_at=timezone.now() - timedelta(days=9), due_at=timezone.now() - timedelta(days=1)
    )
    assert send(customer, provider).free


def test_the_provider_refunds_a_paid_message_once(provider, customer):
    paid_messages(provider, 300)
    fund(customer, 500)
    message = send(customer, provider, price_yen=300)
    with pytest.raises(NotFound):  # not the customer's to refund
        threads.message_refund(user=customer, message_id=message.pk)
    refunded = threads.message_refund(user=provider.user, message_id=message.pk)
    assert refunded.refunded_at is not None
    assert wallet_yen(customer) == 500
    assert Charge.objects.get().refunded_yen == 300
    assert earnings_yen(provider) == 0
    with pytest.raises(Conflict):
        threads.message_refund(user=provider.user, message_id=message.pk)
    assert wallet_yen(customer) == 500


def test_a_free_message_has_nothing_to_refund(provider, customer):
    message = send(customer, provider)
    with pytest.raises(Conflict):
        threads.message_refund(user=provider.user, message_id=message.pk)


# --- who may write ----------------------------------------------------------------------------


def test_one_cannot_message_ones_own_storefront(provider):
    with pytest.raises(Refused) as refused:
        send(provider.user, provider)
    assert refused.value.codes == ["own_storefront"]
    _nothing_stored()


def test_a_blocked_customer_hears_only_that_and_the_provider_cannot_write_either(
    provider, customer
):
    thread = send(customer, provider).thread
    relationship_block(provider_id=provider.pk, customer_id=customer.pk, by=provider.user)
    paid_messages(provider, 300)  # money reasons would apply too; blocked is all they hear
    with pytest.raises(Refused) as refused:
        send(customer, provider, price_yen=300)
    assert refused.value.codes == ["blocked"]
    assert _en(refused.value.reasons[0].message) == "はるか is not taking messages from you."
    with pytest.raises(Refused) as own:
        reply(provider, thread)
    assert own.value.codes == ["blocked"]
    assert Message.objects.count() == 1


def test_block_from_the_thread_is_the_providers_alone(provider, customer):
    free_messages(provider, count=5)
    thread = send(customer, provider).thread
    with pytest.raises(NotFound):
        threads.thread_block_set(user=customer, thread_id=thread.pk, blocked=True)
    with pytest.raises(NotFound):
        threads.thread_block_set(user=UserFactory(), thread_id=thread.pk, blocked=True)
    threads.thread_block_set(user=provider.user, thread_id=thread.pk, blocked=True)
    assert message_quote_for_customer(customer=customer, provider=provider).codes == ["blocked"]
    threads.thread_block_set(user=provider.user, thread_id=thread.pk, blocked=False)
    assert message_quote_for_customer(customer=customer, provider=provider).allowed


def test_a_provider_writes_first_only_to_their_own_customers(provider, customer):
    stranger = UserFactory()
    with pytest.raises(NotFound):
        threads.message_send_to_customer(
            provider=provider, customer_id=stranger.pk, text="はじめまして", client_id="p1"
        )
    relationship_session_completed(provider_id=provider.pk, customer_id=customer.pk)
    with pytest.raises(NotFound):  # a completed session without a contact is not enough
        threads.message_send_to_customer(
            provider=provider, customer_id=customer.pk, text="先日は", client_id="p1"
        )
    from aizuchi.relationships.services import relationship_session_requested

    relationship_session_requested(
        provider_id=provider.pk, customer_id=customer.pk, requested_at=timezone.now()
    )
    message, created = threads.message_send_to_customer(
        provider=provider,
        customer_id=customer.pk,
        text="先日はありがとうございました",
        client_id="p1",
    )
    assert created
    assert message.sender == "provider"
    assert message.price_yen == 0
    assert Thread.objects.get().customer_unread == 1


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "field"),
    [
        ("", "a1", "text"),
        (" \n\t ", "a1", "text"),
        ("あ" * 501, "a1", "text"),  # the newcomers' default limit is 500
        ("こんにちは\x00", "a1", "text"),
        ("こんにちは\x1b[31m", "a1", "text"),
        ("\u202eこんにちは", "a1", "text"),  # a direction override
        ("こんにちは", "", "client_id"),
        ("こんにちは", "with space", "client_id"),
        ("こんにちは", "x" * 65, "client_id"),
        ("こんにちは", None, "client_id"),
    ],
)
def test_bad_messages_are_field_errors_and_nothing_is_stored(provider, customer, text, key, field):
    with pytest.raises(InvalidInput) as refused:
        threads.message_send_to_provider(
            customer=customer, provider_id=provider.pk, text=text, client_id=key
        )
    assert field in refused.value.errors
    _nothing_stored()
    assert not Thread.objects.exists()


def test_the_length_limit_is_the_providers_and_says_how_long_it_was(provider, customer):
    message_policy(provider, "newcomers", max_length=20)
    with pytest.raises(InvalidInput) as refused:
        send(customer, provider, "あ" * 21)
    assert [_en(m) for m in refused.value.errors["text"]] == [
        "Keep a message to 20 characters (this one has 21)."
    ]
    assert send(customer, provider, "あ" * 20).free


def test_a_forged_thread_or_provider_id_is_not_found(provider, customer):
    for forged in (0, -1, "1; drop", 2**64, "999999"):
        with pytest.raises(NotFound):
            threads.message_send(user=customer, thread_id=forged, text="x", client_id="a")
        with pytest.raises(NotFound):
            threads.message_send_to_provider(
                customer=customer, provider_id=forged, text="x", client_id="a"
            )
    _nothing_stored()


def test_a_burst_of_sends_is_refused_per_person(provider, customer, settings):
    settings.AIZUCHI_MESSAGING = {**settings.AIZUCHI_MESSAGING, "SEND_RATES": [[3, 60]]}
    free_messages(provider, count=10)
    for _n in range(3):
        send(customer, provider)
    with pytest.raises(InvalidInput) as refused:
        send(customer, provider)
    assert [_en(m) for m in refused.value.errors["text"]] == [
        "You are sending messages very quickly. Wait a moment and try again."
    ]
    assert Message.objects.count() == 3
    other = UserFactory()  # the limit is per person
    assert send(other, provider).free


# --- photos -----------------------------------------------------------------------------------


def test_photos_are_reencoded_without_metadata_and_kept_privately(
    provider, customer, tmp_path, settings
):
    settings.AIZUCHI_PRIVATE_MEDIA_ROOT = tmp_path
    private_storage._wrapped = None  # point the lazy storage at this test's directory
    from django.utils.functional import empty

    private_storage._wrapped = empty
    message = send(customer, provider, "", images=[photo(exif=True), photo("b.png", fmt="PNG")])
    images = list(message.images.all())
    assert len(images) == 2
    for image in images:
        with private_storage.open(image.image.name) as handle:
            stored = Image.open(io.BytesIO(handle.read()))
        assert stored.format == "WEBP"
        assert not stored.info.get("exif")
        assert not stored.getexif()
        assert str(tmp_path) in private_storage.path(image.image.name)
    assert message.text == ""
    assert message.free


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(lambda: _named(b"<html>not a photo</html>", "photo.jpg"), id="html"),
        pytest.param(lambda: _named(b"", "empty.png"), id="empty"),
        pytest.param(lambda: _named(b"GIF89a" + b"\x00" * 40, "anim.gif"), id="gif"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(
    provider, customer, upload, tmp_path, settings
):
    settings.AIZUCHI_PRIVATE_MEDIA_ROOT = tmp_path
    from django.utils.functional import empty

    private_storage._wrapped = empty
    with pytest.raises(InvalidInput) as refused:
        send(customer, provider, "写真です", images=[photo(), upload()])
    assert "images" in refused.value.errors
    _nothing_stored()
    assert not list(tmp_path.rglob("*.webp"))


def test_at_most_four_photos(provider, customer):
    with pytest.raises(InvalidInput) as refused:
        send(customer, provider, "", images=[photo() for _ in range(5)])
    assert "images" in refused.value.errors
    _nothing_stored()


def _named(data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    upload.size = len(data)
    return upload


# --- reading and delivering -------------------------------------------------------------------


def test_a_message_reaches_both_sides_and_the_recipients_badge(provider, customer):
    free_messages(provider, count=5)
    send(customer, provider)
    (message, _created), pushed = pushed_to(
        realtime.messages_group(provider.user_id),
        lambda: threads.message_send_to_provider(
            customer=customer, provider_id=provider.pk, text="届いていますか", client_id="x1"
        ),
    )
    assert pushed["type"] == "message.created"
    assert pushed["message"]["text"] == "届いていますか"
    assert pushed["thread"]["provider_unread"] == 2
    _result, badge = pushed_to(
        user_group(provider.user_id),
        lambda: send(customer, provider, "もう一通"),
    )
    assert badge == {
        "type": "messages.unread",
        "unread_count": 3,
        "thread_id": message.thread_id,
        "sender_name": "ゆき",
        "title": "ゆきさんからのメッセージ",  # in the recipient's language
        "preview": "もう一通",
    }


def test_read_marks_move_forward_only_and_the_other_side_sees_them(provider, customer):
    free_messages(provider, count=5)
    first = send(customer, provider)
    second = send(customer, provider)
    thread = Thread.objects.select_related("provider__user", "customer").get()
    assert unread_total(user=provider.user) == 2
    _mark, pushed = pushed_to(
        realtime.messages_group(customer.pk),
        lambda: threads.thread_read(user=provider.user, thread=thread, up_to=first.pk),
    )
    assert pushed == {
        "type": "message.read",
        "thread_id": thread.pk,
        "role": "provider",
        "up_to": first.pk,
        "thread": realtime.thread_shape(Thread.objects.get()),
    }
    thread.refresh_from_db()
    assert (thread.provider_read_id, thread.provider_unread) == (first.pk, 1)
    threads.thread_read(user=provider.user, thread=thread)
    thread.refresh_from_db()
    assert (thread.provider_read_id, thread.provider_unread) == (second.pk, 0)
    # An older mark (a page left open elsewhere) does not move it back.
    assert threads.thread_read(user=provider.user, thread=thread, up_to=first.pk) == second.pk
    thread.refresh_from_db()
    assert thread.provider_read_id == second.pk
    assert thread.provider_unread_since is None
    assert unread_total(user=provider.user) == 0
    with pytest.raises(NotFound):
        threads.thread_read_by_id(user=UserFactory(), thread_id=thread.pk, up_to=second.pk)


def test_a_booking_request_carries_a_message_into_the_thread(customer):
    offering = bookable_offering()
    booker = customer_with_points()
    slot = slots_for(provider=offering.provider, offering=offering)[0]
    booking = booking_request(
        customer=booker,
        offering_id=offering.pk,
        start=slot.start,
        key="booking-with-a-note-0001",
        note="仕事の悩みを聞いてほしいです",
    )
    assert booking.note == "仕事の悩みを聞いてほしいです"
    message = Message.objects.get()
    assert (message.kind, message.booking_id, message.free, message.sender) == (
        "booking_note",
        booking.pk,
        False,
        "customer",
    )
    assert Thread.objects.get().provider_unread == 1
    # It does not use up the free message a newcomer has.
    assert message_quote_for_customer(customer=booker, provider=offering.provider).allowed


def test_a_booking_note_with_control_characters_refuses_the_booking(customer):
    offering = bookable_offering()
    booker = customer_with_points()
    slot = slots_for(provider=offering.provider, offering=offering)[0]
    with pytest.raises(InvalidInput) as refused:
        booking_request(
            customer=booker,
            offering_id=offering.pk,
            start=slot.start,
            key="booking-with-a-note-0002",
            note="\x07ベル",
        )
    assert "note" in refused.value.errors
    assert not Message.objects.exists()
