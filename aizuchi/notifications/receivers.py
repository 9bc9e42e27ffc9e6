"""Notifications that answer a library's signal rather than a domain's call."""

from __future__ import annotations

from allauth.account.signals import email_confirmed
from django.dispatch import receiver

from .services import notification_send


@receiver(email_confirmed, dispatch_uid="aizuchi.notifications.welcome")
def welcome(sender, request, email_address, **kwargs) -> None:
    """A person confirmed their (primary) e-mail address: the welcome in their inbox."""
    if email_address.primary:
        notification_send(user=email_address.user, kind="welcome")
