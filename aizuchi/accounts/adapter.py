from __future__ import annotations

import ipaddress

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import ImproperlyConfigured

from aizuchi.accounts import services
from aizuchi.accounts.models import LANGUAGE_CODES
from aizuchi.core.tasks import enqueue_on_commit, send_email


class AizuchiSite(RequestSite):
    """The sender's name in every e-mail is the product, the domain is the one in use."""

    def __init__(self, request) -> None:
        super().__init__(request)
        self.name = "Aizuchi"


def user_display(user) -> str:
    """How allauth names a person in its pages and messages: the nickname."""
    return str(user.public_name)


def client_network(ip: str) -> str:
    """The client for rate limits: its IPv4 address, or its IPv6 /64 (one household or
    phone holds a whole /64, so single IPv6 addresses would be free to rotate)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    return str(address)


class AccountAdapter(DefaultAccountAdapter):
    """Aizuchi's hooks into django-allauth."""

    def get_client_ip(self, request) -> str:
        # With ALLAUTH_TRUSTED_PROXY_COUNT set, allauth raises when X-Forwarded-For holds
        # fewer addresses than there are proxies: the request did not come through all of
        # them, so the connection's own address is the client.
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            return request.META["REMOTE_ADDR"]

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth brakes failed sign-ins per address ("key" in ACCOUNT_RATE_LIMITS), so
        # anyone who knows an address could keep its owner out by failing five times. The
        # key here is the address *and* the client: the brake stays on whoever is failing,
        # and the per-client limit (10 a minute) covers guessing across many addresses.
        # allauth clears this same key after a password reset, for the client that reset.
        address_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{address_key}:{client_network(self.get_client_ip(request))}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Render now, in the reader's language; deliver from the task queue so a slow
        # mail server never holds up the page.
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": AizuchiSite(request),
                "site_url": request.build_absolute_uri("/")
                if request
                else settings.AIZUCHI_SITE_URL,
                **context,
            },
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
        # The form has checked both already; the service checks again before saving.
        services.user_signup_details(
            user=user,
            display_name=form.cleaned_data.get("display_name", ""),
            accepts_terms=form.cleaned_data.get("accept_terms") is True,
        )
        return super().save_user(request, user, form, commit=commit)
