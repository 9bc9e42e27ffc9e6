"""Sending and reading direct messages.

A message is sent in one transaction: the thread's row locked (made on the first
message of a pair), a resend of the same client id answered with the first message,
the provider's message policy asked again (``message_quote_for_customer``: the quote the
customer saw is the price charged, or the send is refused with the new one), the
message stored, a paid one charged through the ledger (``billing.message_charge``, once
per message), its images stored, the thread's last message, unread counts and read marks
moved, and the pushes sent after the commit. Anything refused leaves nothing behind: no
message, no charge, no file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.access.policy import INSUFFICIENT_POINTS_MESSAGE
from aizuchi.access.services import customer_block_set
from aizuchi.billing import ledger
from aizuchi.billing.selectors import wallet_balance_yen
from aizuchi.billing.services.charges import message_charge, message_charge_refund
from aizuchi.core.effects import on_commit
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refusal, Refused, lazy_format
from aizuchi.core.limits import rate_allow
from aizuchi.core.money import object_id, whole_number
from aizuchi.core.realtime import publish, user_group
from aizuchi.relationships.selectors import relationship_for
from aizuchi.storefront.models import Provider
from aizuchi.storefront.selectors.query import normalize
from aizuchi.storefront.services.media import ProcessedImage, process_image

from .. import realtime, search
from ..models import Message, MessageImage, Role, Thread, private_storage
from ..selectors import (
    MESSAGE_NOT_FOUND,
    THREAD_NOT_FOUND,
    message_get_for_participant,
    message_quote_for_customer,
    messaging_setting,
    thread_get_for_participant,
    unread_total,
)

MESSAGE_EMPTY = _("Write a message, or add a photo.")
MESSAGE_TOO_LONG = _("Keep a message to %(max)d characters (this one has %(count)d).")
MESSAGE_CONTROL = _("Remove the invisible control characters from the message.")
CLIENT_ID_INVALID = _("The message could not be identified; reload the page and send it again.")
TOO_MANY_IMAGES = _("Add at most %(max)d photos to a message.")
SENDING_TOO_FAST = _("You are sending messages very quickly. Wait a moment and try again.")
PRICE_INVALID = _("The price could not be read; reload the page and try again.")
PRICE_CHANGED = _(
    "This message now costs ¥%(price)s (the page said ¥%(shown)s). Check the price and send again."
)
PRICE_NOW_FREE = _("This message is now free. Send it again.")
YOU_BLOCKED = _("You have blocked %(customer)s. Unblock them to write.")
CUSTOMER_UNKNOWN = _("That customer has not been in touch with you yet.")
NOTHING_TO_REFUND = _("Only a customer's paid message can be refunded, once.")
REFUND_REASON = _("Points returned for a message")

# Letters that can make text read differently from what it is (bidirectional overrides).
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PREVIEW_LENGTH = 100


def text_clean(value, *, max_length: int) -> str:
    """A message's text: line breaks kept (as ``\\n``), ends trimmed; control characters
    other than line breaks and tabs, and direction overrides, refused."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if _INVISIBLE.search(text) or any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in text
    ):
        raise InvalidInput({"text": [MESSAGE_CONTROL]})
    if len(text) > max_length:
        raise InvalidInput(
            {"text": [lazy_format(MESSAGE_TOO_LONG, max=max_length, count=len(text))]}
        )
    return text


def _client_id(value) -> str:
    client_id = str(value or "")
    if not CLIENT_ID.match(client_id):
        raise InvalidInput({"client_id": [CLIENT_ID_INVALID]})
    return client_id


def _accepted_price(value) -> int | None:
    """The price the page showed (None when the client named none)."""
    if value is None or value == "":
        return None
    price = whole_number(value)
    if price is None or price < 0:
        raise InvalidInput({"price_yen": [PRICE_INVALID]})
    return price


def _images(uploads: Sequence) -> list[ProcessedImage]:
    """Every upload decoded and re-encoded (storefront's pipeline), or every error."""
    limit = messaging_setting("IMAGES_MAX")
    if len(uploads) > limit:
        raise InvalidInput({"images": [lazy_format(TOO_MANY_IMAGES, max=limit)]})
    processed, errors = [], []
    for upload in uploads:
        try:
            processed.append(process_image(upload))
        except InvalidInput as exc:
            errors.extend(exc.errors.get("images", []))
    if errors:
        raise InvalidInput({"images": errors})
    return processed


@dataclass(frozen=True)
class Draft:
    """A message checked before any database work."""

    role: str
    user: Any
    text: str
    client_id: str
    accepted_price: int | None


def _draft(*, role: str, user, text, client_id, images: Sequence, price_yen) -> tuple[Draft, list]:
    """The message checked before any database work, and its uploads (decoded later)."""
    errors: dict[str, list] = {}
    draft: dict = {}
    for name, clean in (
        ("client_id", lambda: _client_id(client_id)),
        ("text", lambda: text_clean(text, max_length=messaging_setting("MAX_LENGTH"))),
        ("price_yen", lambda: _accepted_price(price_yen)),
    ):
        try:
            draft[name] = clean()
        except InvalidInput as exc:
            errors.update(exc.errors)
    uploads = list(images or [])
    if "text" in draft and not draft["text"] and not uploads:
        errors["text"] = [MESSAGE_EMPTY]
    if errors:
        raise InvalidInput(errors)
    return Draft(
        role=role,
        user=user,
        text=draft["text"],
        client_id=draft["client_id"],
        accepted_price=draft["price_yen"],
    ), uploads


# --- sending ---------------------------------------------------------------------------------


def message_send(
    *, user, thread_id, text, client_id, images: Sequence = (), price_yen=None
) -> tuple[Message, bool]:
    """Send a message in one of the person's threads (either side). Returns the message
    and whether it is new (False: this client id was sent before)."""
    thread = thread_get_for_participant(user=user, thread_id=thread_id)
    role = thread.role_of(user)
    return _send(
        provider=thread.provider,
        customer=thread.customer,
        thread=thread,
        role=role,
        user=user,
        text=text,
        client_id=client_id,
        images=images,
        price_yen=price_yen,
    )


def message_send_to_provider(
    *, customer, provider_id, text, client_id, images: Sequence = (), price_yen=None
) -> tuple[Message, bool]:
    """A customer writes to a provider (the first message opens their thread)."""
    provider = _provider(provider_id)
    return _send(
        provider=provider,
        customer=customer,
        role=Role.CUSTOMER,
        user=customer,
        text=text,
        client_id=client_id,
        images=images,
        price_yen=price_yen,
    )


def message_send_to_customer(
    *, provider, customer_id, text, client_id, images: Sequence = ()
) -> tuple[Message, bool]:
    """A provider writes to one of their customers (someone who has been in touch with
    them: a session, a booking or a thread)."""
    customer = customer_known(provider=provider, customer_id=customer_id)
    return _send(
        provider=provider,
        customer=customer,
        role=Role.PROVIDER,
        user=provider.user,
        text=text,
        client_id=client_id,
        images=images,
        price_yen=None,
    )


def _provider(provider_id) -> Provider:
    pk = object_id(provider_id)
    provider = Provider.objects.select_related("user").filter(pk=pk).first() if pk else None
    if provider is None:
        raise NotFound(THREAD_NOT_FOUND)
    return provider


def customer_known(*, provider, customer_id):
    """A customer of the provider: in a thread with them, or in contact (a session or a
    booking)."""
    pk = object_id(customer_id)
    if pk is None:
        raise NotFound(CUSTOMER_UNKNOWN)
    thread = Thread.objects.select_related("customer").filter(provider=provider, customer_id=pk)
    found = thread.first()
    if found is not None:
        return found.customer
    row = relationship_for(provider_id=provider.pk, customer_id=pk)
    if row.pk is None or row.first_contact_at is None or row.customer_id == provider.user_id:
        raise NotFound(CUSTOMER_UNKNOWN)
    return row.customer


def _send(
    *, provider, customer, role, user, text, client_id, images, price_yen, thread=None
) -> tuple[Message, bool]:
    draft, uploads = _draft(
        role=role, user=user, text=text, client_id=client_id, images=images, price_yen=price_yen
    )
    # A resend is answered before anything else is asked of it (limits, decoding).
    known = thread or Thread.objects.filter(provider=provider, customer=customer).first()
    if known is not None:
        sent = _sent_before(known, draft)
        if sent is not None:
            return sent, False
    if not rate_allow(f"messages:{user.pk}", messaging_setting("SEND_RATES")):
        raise InvalidInput({"text": [SENDING_TOO_FAST]})
    processed = _images(uploads)
    written: list[str] = []
    try:
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return _store(provider, customer, draft, processed, written)
            except IntegrityError:
                # The same client id, or the pair's first message, raced from elsewhere:
                # again, and the other is found.
                if attempt == 2:
                    raise
                _delete(written)
                written.clear()
        raise AssertionError("unreachable")
    except BaseException:
        _delete(written)
        raise


def _sent_before(thread: Thread, draft: Draft) -> Message | None:
    return Message.objects.filter(
        thread=thread, sender=draft.role, client_id=draft.client_id
    ).first()


def _thread_locked(provider, customer) -> Thread:
    """The pair's thread, locked until the transaction ends; made on the first message."""
    found = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("provider__user", "customer")
        .filter(provider=provider, customer=customer)
        .first()
    )
    if found is not None:
        return found
    with transaction.atomic():
        Thread.objects.create(provider=provider, customer=customer)
    return (
        Thread.objects.select_for_update(of=("self",))
        .select_related("provider__user", "customer")
        .get(provider=provider, customer=customer)
    )


def _store(provider, customer, draft: Draft, processed, written: list[str]) -> tuple[Message, bool]:
    now = timezone.now()
    thread = _thread_locked(provider, customer)
    sent = _sent_before(thread, draft)
    if sent is not None:
        return sent, False
    price, payment = 0, ""
    if draft.role == Role.CUSTOMER:
        price, payment = _customer_terms(thread, draft, now)
    elif relationship_for(provider_id=provider.pk, customer_id=customer.pk).is_blocked:
        raise Refused([Refusal("blocked", lazy_format(YOU_BLOCKED, customer=customer.public_name))])
    message = Message.objects.create(
        thread=thread,
        sender=draft.role,
        author=draft.user,
        text=draft.text,
        folded=normalize(draft.text),
        client_id=draft.client_id,
        created_at=now,
        free=draft.role == Role.CUSTOMER and price == 0,
        price_yen=price,
    )
    if price:
        message.charge = _charge(thread, message, price, payment)
        message.save(update_fields=["charge"])
    search.index_add([(message.pk, message.text, thread.provider_id, thread.customer_id)])
    images = _images_save(message, processed, written)
    _delivered(thread, message, images)
    return message, True


def _customer_terms(thread: Thread, draft: Draft, now) -> tuple[int, str]:
    """The price of this message under the policy as it is now (the same selector the
    page showed) and how it is paid, or the refusal."""
    decision = message_quote_for_customer(
        customer=thread.customer, provider=thread.provider, thread=thread, now=now
    )
    if decision.reasons:
        raise Refused(decision.reasons)
    terms = decision.message
    assert terms is not None  # noqa: S101 - every allowed message decision has terms
    if len(draft.text) > terms.max_length:
        raise InvalidInput(
            {"text": [lazy_format(MESSAGE_TOO_LONG, max=terms.max_length, count=len(draft.text))]}
        )
    shown = draft.accepted_price
    if terms.price_yen and shown != terms.price_yen:
        raise Refused(
            [
                Refusal(
                    "price_changed",
                    lazy_format(
                        PRICE_CHANGED, price=f"{terms.price_yen:,}", shown=f"{shown or 0:,}"
                    ),
                )
            ]
        )
    if not terms.price_yen and shown:
        raise Refused([Refusal("price_changed", PRICE_NOW_FREE)])
    return terms.price_yen, terms.payment


def _charge(thread: Thread, message: Message, price: int, payment: str):
    try:
        return message_charge(
            message_id=message.pk,
            customer=thread.customer,
            provider=thread.provider,
            amount_yen=price,
            payment=payment,
        )
    except ledger.InsufficientFunds:
        # Points spent meanwhile (the quote found enough): the customer's refusal, in
        # the words of the policy, with the balance as it is now.
        balance = wallet_balance_yen(customer=thread.customer)
        raise Refused(
            [
                Refusal(
                    "insufficient_points",
                    lazy_format(
                        INSUFFICIENT_POINTS_MESSAGE, price=f"{price:,}", balance=f"{balance:,}"
                    ),
                    reverse("billing:wallet"),
                )
            ]
        ) from None


def _images_save(message: Message, processed: list[ProcessedImage], written: list[str]):
    images = []
    for position, item in enumerate(processed):
        image = MessageImage(
            message=message, width=item.width, height=item.height, position=position
        )
        image.image.save("image.webp", ContentFile(item.image), save=False)
        written.append(image.image.name or "")
        image.thumbnail.save("thumbnail.webp", ContentFile(item.thumbnail), save=False)
        written.append(image.thumbnail.name or "")
        images.append(image)
    if images:
        MessageImage.objects.bulk_create(images)
    return images


def _delete(names: list[str]) -> None:
    for name in names:
        if name:
            private_storage.delete(name)


def _preview(message: Message) -> str:
    return " ".join(message.text.split())[:PREVIEW_LENGTH]


def _delivered(thread: Thread, message: Message, images: list[MessageImage]) -> None:
    """The thread's summary moves with the message (the locked row), and both sides hear
    of it after the commit; the recipient's badge too."""
    other = Role.PROVIDER if message.sender == Role.CUSTOMER else Role.CUSTOMER
    mine = message.sender
    thread.last_message_at = message.created_at
    thread.last_message_id = message.pk
    thread.last_preview = _preview(message)
    thread.last_sender = message.sender
    setattr(thread, f"{other}_unread", getattr(thread, f"{other}_unread") + 1)
    if getattr(thread, f"{other}_unread_since") is None:
        setattr(thread, f"{other}_unread_since", message.created_at)
    # Writing is reading: the sender has seen everything up to their own message.
    setattr(thread, f"{mine}_read_id", message.pk)
    setattr(thread, f"{mine}_unread", 0)
    setattr(thread, f"{mine}_unread_since", None)
    thread.save(
        update_fields=[
            "last_message_at",
            "last_message_id",
            "last_preview",
            "last_sender",
            f"{other}_unread",
            f"{other}_unread_since",
            f"{mine}_read_id",
            f"{mine}_unread",
            f"{mine}_unread_since",
        ]
    )
    pushed = realtime.message_created(message, thread, images)
    customer_id, provider_user_id = thread.customer_id, thread.provider.user_id
    publish(realtime.messages_group(customer_id), pushed)
    if provider_user_id != customer_id:
        publish(realtime.messages_group(provider_user_id), pushed)
    recipient = thread.provider.user if other == Role.PROVIDER else thread.customer
    sender_name = (
        str(thread.customer.public_name) if other == Role.PROVIDER else thread.provider.display_name
    )

    def badge() -> None:
        # After the commit, so the count includes this message wherever it is read.
        publish(
            user_group(recipient.pk),
            realtime.messages_unread(
                unread_total(user=recipient),
                thread_id=thread.pk,
                sender_name=sender_name,
                preview=thread.last_preview,
                language=recipient.language,
            ),
        )

    on_commit(badge)


# --- reading ---------------------------------------------------------------------------------


def thread_read(*, user, thread: Thread, up_to=None) -> int:
    """``user`` has read their thread up to message ``up_to`` (the last one when None):
    the read mark only moves forward, the unread count follows, the other side sees it.
    Returns the mark."""
    role = thread.role_of(user)
    if role is None:
        raise NotFound(THREAD_NOT_FOUND)
    wanted = thread.last_message_id if up_to is None else object_id(up_to)
    if wanted is None:
        raise InvalidInput({"up_to": [CLIENT_ID_INVALID]})
    mark = f"{role}_read_id"
    if wanted <= getattr(thread, mark):
        return getattr(thread, mark)
    with transaction.atomic():
        locked = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("provider__user", "customer")
            .get(pk=thread.pk)
        )
        wanted = min(wanted, locked.last_message_id)
        if wanted <= getattr(locked, mark):
            return getattr(locked, mark)
        unread = Message.objects.filter(thread=locked, pk__gt=wanted).exclude(sender=role).count()
        setattr(locked, mark, wanted)
        setattr(locked, f"{role}_unread", unread)
        if not unread:
            setattr(locked, f"{role}_unread_since", None)
        locked.save(update_fields=[mark, f"{role}_unread", f"{role}_unread_since"])
        pushed = realtime.message_read(locked, role=role, up_to=wanted)
        publish(realtime.messages_group(locked.customer_id), pushed)
        if locked.provider.user_id != locked.customer_id:
            publish(realtime.messages_group(locked.provider.user_id), pushed)
        on_commit(
            lambda: publish(user_group(user.pk), realtime.messages_unread(unread_total(user=user)))
        )
    for name in (mark, f"{role}_unread", f"{role}_unread_since"):
        setattr(thread, name, getattr(locked, name))
    return wanted


def thread_read_by_id(*, user, thread_id, up_to) -> int:
    thread = thread_get_for_participant(user=user, thread_id=thread_id)
    return thread_read(user=user, thread=thread, up_to=up_to)


# --- a booking's note --------------------------------------------------------------------------


def booking_note_add(booking) -> Message | None:
    """What the customer wrote with a booking request lands in the pair's thread (free,
    counted for nothing). Called by booking inside the booking's transaction."""
    if not booking.note:
        return None
    thread = _thread_locked(booking.provider, booking.customer)
    client_id = f"booking-{booking.pk}"
    found = Message.objects.filter(thread=thread, sender=Role.CUSTOMER, client_id=client_id).first()
    if found is not None:
        return found
    message = Message.objects.create(
        thread=thread,
        sender=Role.CUSTOMER,
        author=booking.customer,
        kind=Message.Kind.BOOKING_NOTE,
        text=booking.note,
        folded=normalize(booking.note),
        client_id=client_id,
        created_at=booking.created_at,
        booking=booking,
    )
    search.index_add([(message.pk, message.text, thread.provider_id, thread.customer_id)])
    _delivered(thread, message, [])
    return message


# --- the provider's choices ------------------------------------------------------------------


def thread_block_set(*, user, thread_id, blocked: bool) -> Thread:
    """The provider blocks (or unblocks) the thread's customer: no more messages, calls,
    chats or bookings from them (the relationship row, read by the one access policy)."""
    thread = thread_get_for_participant(user=user, thread_id=thread_id)
    if thread.role_of(user) != Role.PROVIDER:
        raise NotFound(THREAD_NOT_FOUND)
    customer_block_set(provider=thread.provider, customer_id=thread.customer_id, blocked=blocked)
    return thread


def message_refund(*, user, message_id) -> Message:
    """The provider gives back the points of a customer's paid message (all of them,
    once); the message shows it."""
    message = message_get_for_participant(user=user, message_id=message_id)
    thread = message.thread
    if thread.role_of(user) != Role.PROVIDER:
        raise NotFound(MESSAGE_NOT_FOUND)
    if message.charge_id is None or message.refunded_at is not None:
        raise Conflict(NOTHING_TO_REFUND)
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).get(pk=message.pk)
        if locked.refunded_at is not None or locked.charge_id is None:
            raise Conflict(NOTHING_TO_REFUND)
        message_charge_refund(charge_id=locked.charge_id, user=user, reason=str(REFUND_REASON))
        locked.refunded_at = timezone.now()
        locked.save(update_fields=["refunded_at"])
        locked.thread = thread
        pushed = realtime.message_updated(locked)
        publish(realtime.messages_group(thread.customer_id), pushed)
        publish(realtime.messages_group(thread.provider.user_id), pushed)
    return locked
