from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.requests import RequestSite

from aizuchi.accounts.models import LANGUAGE_CODES
from aizuchi.core.tasks import enqueue_on_commit, send_email


class AizuchiSite(RequestSite):
    """The sender's name in every e-mail is the product, the domain is the one in use."""

    def __init__(self, request) -> None:
        super().__init__(request)
        self.name = "Aizuchi"


class AccountAdapter(DefaultAccountAdapter):
    """Aizuchi's hooks into django-allauth."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Render now, in the reader's language; deliver from the task queue so a slow
        # mail server never holds up the page.
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": AizuchiSite(request), **context},
        )
        html = next(
            (body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"),
            None,
        )
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
        language = getattr(request, "LANGUAGE_CODE", None)
        if language in LANGUAGE_CODES:
            user.language = language
        return super().save_user(request, user, form, commit=commit)
