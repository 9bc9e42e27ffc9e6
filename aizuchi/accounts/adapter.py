from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from aizuchi.core.tasks import enqueue_on_commit, send_email
from aizuchi.notifications.services import notification_send


class AccountAdapter(DefaultAccountAdapter):
    """Aizuchi's hooks into django-allauth."""

    def send_mail(self, template_prefix, email, context) -> None:
        # Render now, in the reader's language; deliver from the task queue so a slow
        # mail server never holds up the page.
        message = self.render_mail(template_prefix, email, context)
        html = next((body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), None)
        enqueue_on_commit(
            send_email,
            subject=message.subject,
            body=message.body,
            to=list(message.to),
            html_body=html,
            from_email=message.from_email,
        )

    def save_user(self, request, user, form, commit=True):
        # Someone who signs up while reading English keeps English.
        user.language = translation.get_language() or user.language
        if user.language not in ("ja", "en"):
            user.language = "ja"
        return super().save_user(request, user, form, commit=commit)

    def confirm_email(self, request, email_address):
        super().confirm_email(request, email_address)
        if email_address.primary:
            notification_send(user=email_address.user, kind="welcome")
