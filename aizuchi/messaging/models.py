"""Direct messages between a customer and a provider: one thread per pair.

A ``Thread`` keeps what its inbox rows and badges need without reading its messages: the
last message (time, preview, who wrote it), each side's read mark (the id of the last
message it has read), each side's unread count and since when, and when each side was
last told of unread messages by e-mail. ``Message`` rows are never deleted; staff hide
one (``hidden_*``) and the thread shows that it was hidden.

A customer's message is free (``free``: counted against the provider's free
allowance), or paid (``price_yen``, with its ``billing.Charge``); a booking's note and
the provider's replies are free and count for nothing. A message is stored once per
(thread, sender, client id): a resend after a dropped connection returns the first.
Images are re-encoded without metadata (storefront's pipeline) and kept in private
storage, served only to the thread's two people (and staff, for a reported message).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("customer")
    PROVIDER = "provider", _("provider")


class Thread(models.Model):
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.CASCADE, related_name="message_threads"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_threads"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message_id = models.BigIntegerField(default=0)
    last_preview = models.CharField(max_length=120, blank=True)
    last_sender = models.CharField(max_length=10, choices=Role.choices, blank=True)
    # The id of the last message each side has read (0: none).
    customer_read_id = models.BigIntegerField(default=0)
    provider_read_id = models.BigIntegerField(default=0)
    # Messages from the other side after the read mark, and since when (for the e-mail).
    customer_unread = models.PositiveIntegerField(default=0)
    provider_unread = models.PositiveIntegerField(default=0)
    customer_unread_since = models.DateTimeField(null=True, blank=True)
    provider_unread_since = models.DateTimeField(null=True, blank=True)
    customer_emailed_at = models.DateTimeField(null=True, blank=True)
    provider_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message thread")
        verbose_name_plural = _("message threads")
        constraints = [
            models.UniqueConstraint(fields=["provider", "customer"], name="messaging_one_per_pair"),
        ]
        indexes = [
            models.Index(
                fields=["provider", "-last_message_at", "-id"], name="messaging_provider_inbox"
            ),
            models.Index(
                fields=["customer", "-last_message_at", "-id"], name="messaging_customer_inbox"
            ),
            models.Index(
                fields=["provider", "-last_message_at", "-id"],
                condition=Q(provider_unread__gt=0),
                name="messaging_provider_unread",
            ),
            models.Index(
                fields=["customer", "-last_message_at", "-id"],
                condition=Q(customer_unread__gt=0),
                name="messaging_customer_unread",
            ),
            models.Index(
                fields=["provider_unread_since"],
                condition=Q(provider_unread_since__isnull=False),
                name="messaging_provider_mail_due",
            ),
            models.Index(
                fields=["customer_unread_since"],
                condition=Q(customer_unread_since__isnull=False),
                name="messaging_customer_mail_due",
            ),
        ]

    def __str__(self) -> str:
        return f"thread {self.pk}: {self.provider_id} ↔ {self.customer_id}"

    def role_of(self, user) -> str | None:
        if user.pk == self.customer_id:
            return Role.CUSTOMER
        if user.pk == self.provider.user_id:
            return Role.PROVIDER
        return None


class Message(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", _("message")
        BOOKING_NOTE = "booking_note", _("message with a booking")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    sender = models.CharField(max_length=10, choices=Role.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    text = models.TextField(blank=True)
    # The text folded for search (NFKC + casefold, as storefront search folds).
    folded = models.TextField(blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A customer's free message (counted against the provider's allowance).
    free = models.BooleanField(default=False)
    price_yen = models.PositiveIntegerField(default=0)
    charge = models.OneToOneField(
        "billing.Charge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refunded_at = models.DateTimeField(null=True, blank=True)
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["thread", "id"], name="messaging_thread_order"),
            models.Index(
                fields=["thread", "created_at"],
                condition=Q(free=True),
                name="messaging_free_by_time",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "sender", "client_id"],
                condition=~Q(client_id=""),
                name="messaging_once_per_client_id",
            ),
            models.CheckConstraint(
                condition=Q(free=False) | Q(price_yen=0, sender="customer"),
                name="messaging_free_is_a_customers_unpaid_message",
            ),
            models.CheckConstraint(
                condition=Q(price_yen=0) | Q(sender="customer"),
                name="messaging_only_customers_pay",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} in {self.thread_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class _PrivateStorage(LazyObject):
    """Message images live outside MEDIA_ROOT (which may be served to anyone): they
    are read only through the thread's gate."""

    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(location=settings.AIZUCHI_PRIVATE_MEDIA_ROOT)


private_storage = _PrivateStorage()


def _private_storage():
    return private_storage


def _image_path(instance: MessageImage, filename: str) -> str:
    return f"messages/{uuid.uuid4().hex}.webp"


class MessageImage(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(storage=_private_storage, upload_to=_image_path)
    thumbnail = models.ImageField(storage=_private_storage, upload_to=_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["message", "position"]

    def __str__(self) -> str:
        return f"image {self.pk} of message {self.message_id}"


class MessageReport(models.Model):
    """Someone in a thread reported a message of the other side; staff decide."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DECIDED = "decided", _("decided")

    class Decision(models.TextChoices):
        HIDE = "hide", _("the message was hidden")
        WARN = "warn", _("the message was hidden and the sender warned")
        SUSPEND = "suspend", _("the message was hidden and the sender's account suspended")
        DISMISS = "dismiss", _("no action was needed")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("what is wrong"), max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    staff_note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("message report")
        verbose_name_plural = _("message reports")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="messaging_report_once"),
            models.CheckConstraint(
                condition=Q(status="open", decision="") | Q(status="decided") & ~Q(decision=""),
                name="messaging_report_decided_has_decision",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="open"), name="messaging_report_open"
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of message {self.message_id}"
