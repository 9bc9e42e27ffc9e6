"""Bad input into every form of the site: never a 500, and a refusal changes nothing.

The walk is automatic. Every URL pattern of the URLconf is given values for its
parameters (from a small world of objects made by the factories and services), every
page is fetched as a visitor, a customer, a provider and a staff member, and every
``<form method="post">`` on those pages (and every ``hx-post`` inside one) becomes a
target. Each target is posted with its own values, and then with bad ones: empty, huge
(100,000 characters), control characters, a right-to-left override, and injection text
(SQL, a script tag, a path, ``%00``): into every field at once, and into each field on
its own while the others keep their good values.

Every answer must be a 4xx, a page with the form's errors, or a redirect; never a 5xx
and never an exception. A refusal (4xx, form errors, an error message) leaves the
database as it was; an accepted post leaves no invisible characters in a name, and the
page it leads to still renders. Every pattern that accepts a POST must be reached by
some form (or be listed below with the fields it takes and why no page shows a form);
a new view is covered without touching this file, and a new URL parameter asks for a
value here.

Each post runs inside a savepoint that is rolled back, with the cache and the client's
cookies restored, so every post meets the same world.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import time_machine
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from aizuchi.access import services as access_services
from aizuchi.accounts.models import User
from aizuchi.billing.services import payments as payment_services
from aizuchi.billing.services import payouts as payout_services
from aizuchi.billing.tests.factories import (
    OfferingFactory,
    give_earnings,
    key,
    postpaid_invoice,
    prepaid_charge,
    staff_user,
)
from aizuchi.booking.models import BookingSettings
from aizuchi.booking.services import bookings as booking_services
from aizuchi.booking.services import slots as slot_services
from aizuchi.booking.tests.factories import bookable_offering, customer_with_points
from aizuchi.core.names import name_has_invisible
from aizuchi.crm.models import Suggestion
from aizuchi.crm.services import cards as card_services
from aizuchi.crm.services import followups as followup_services
from aizuchi.events.services.events import event_invite
from aizuchi.events.services.registrations import event_register, registration_cancel
from aizuchi.events.tests.factories import event_make
from aizuchi.live.services import sessions as session_services
from aizuchi.live.tests.factories import on_standby
from aizuchi.messaging.services import reports as report_services
from aizuchi.messaging.services import threads as message_services
from aizuchi.notifications.services import notification_send
from aizuchi.reputation.services import reviews
from aizuchi.storefront.models import Offering, Provider
from aizuchi.storefront.services import blog, media
from aizuchi.storefront.tests.mediafiles import mp3_bytes, photo, upload

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Tokyo

BAD_VALUES = {
    "empty": "",
    "huge": "A" * 100_000,
    "control": "\x00\x01\x08\x1b[31m\r\n\x7f",
    "bidi": "\u202egnp.exe\u202c\u2066\u200b",
    "sql": "'; DROP TABLE accounts_user; --",
    "script": "<script>alert(1)</script>",
    "path": "../../etc/passwd",
    "percent_nul": "%00",
}

# Patterns the walk leaves alone (by the start of their route), and why.
EXCLUDED_ROUTES = {
    "admin/": "Django's own admin: its forms are Django's, for staff only",
    "^media/": "uploaded files, served as they are (GET only)",
}

# Patterns that take a POST although no page shows a form for them: the fields they read.
FORMLESS = {
    # Posted by scripts (the whole photo order at once), not by a form on a page.
    "storefront:manage_media_images_order": ("provider", ["ids"]),
    # For accounts without a password; everyone here has one (sign-up always sets it), so
    # allauth sends them on to changing it.
    "account_set_password": ("customer", ["password1", "password2"]),
    # Sign-in by an e-mailed code is off (ACCOUNT_LOGIN_BY_CODE_ENABLED): allauth sends
    # everyone away from it.
    "account_confirm_login_code": ("visitor", ["code"]),
    # The follow-up form shows for the customers chosen on the list or a card (?to=…).
    "crm:followup_new": ("provider", ["customers", "body", "send_at", "template"]),
}

# Fields a view may read although its form does not show them: they get bad values too.
STRAY_FIELDS = ["next"]

# What the fields never sent bad values: the CSRF token (the test client does not check
# it; CSRF has its own tests in Django).
UNTOUCHED_FIELDS = {"csrfmiddlewaretoken"}


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User | None]
    values: dict[str, list]  # URL parameter -> values to try
    per_pattern: dict[str, list[dict]]  # URL name -> kwargs, where names are shared


def _build_world() -> World:
    """A provider with prices, bookings, sessions, reviews, a blog, photos and money; a
    customer of theirs; a staff member; and everything their pages offer to act on."""
    staff = staff_user()
    # Two days ago a booking was made for that evening: now it can be marked not attended.
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        offering = bookable_offering(confirm_instantly=True)
        provider = offering.provider
        customer = customer_with_points(50_000)
        past_slot = slot_services.slots_for(
            provider=provider, offering=offering, days=1, newcomer=True
        )[0]
        past = booking_services.booking_request(
            customer=customer, offering_id=offering.pk, start=past_slot.start, key=key("past")
        )
    # From now on the provider answers each request.
    BookingSettings.objects.filter(provider=provider).update(confirm_instantly=False)
    voice = OfferingFactory(
        provider=provider, channel=Offering.Channel.VOICE, payment=Offering.Payment.POSTPAID
    )
    slots = slot_services.slots_for(provider=provider, offering=offering, days=7, newcomer=False)
    pending = booking_services.booking_request(
        customer=customer, offering_id=offering.pk, start=slots[0].start, key=key("pending")
    )
    confirmed = booking_services.booking_request(
        customer=customer, offering_id=offering.pk, start=slots[2].start, key=key("confirmed")
    )
    booking_services.booking_confirm(user=provider.user, booking_id=confirmed.pk)
    slot_services.calendar_token_renew(provider=provider)
    change = slot_services.availability_change_add(
        provider=provider, date=(NOW + dt.timedelta(days=3)).date(), kind="closed"
    )

    # Sessions: one reviewed (and reported), one hidden by staff, one not reviewed yet.
    reviewed = prepaid_charge(customer, offering)
    review = reviews.review_create(
        user=customer, session_id=reviewed.session_id, stars=4, text="よかったです"
    )
    reviews.review_report(user=staff, review_id=review.pk, reason="確認のため")
    hidden_charge = prepaid_charge(customer, offering)
    hidden = reviews.review_create(user=customer, session_id=hidden_charge.session_id, stars=1)
    reviews.review_hide(user=staff, review_id=hidden.pk, reason="テスト")
    unreviewed = prepaid_charge(customer, offering)

    # Money: an open postpaid invoice, a bank transfer and a test-card payment waiting,
    # a payout request and an approved one.
    invoice = postpaid_invoice(customer, voice)
    transfer = payment_services.points_purchase_start(
        customer=customer, amount_yen=3000, gateway_code="manual", key=key("transfer")
    )
    card = payment_services.points_purchase_start(
        customer=customer, amount_yen=2000, gateway_code="test", key=key("card")
    )
    give_earnings(provider, 20_000)
    payout = payout_services.payout_request(
        provider=provider, user=provider.user, amount_yen=5000, key=key("payout")
    )
    approved = payout_services.payout_request(
        provider=provider, user=provider.user, amount_yen=3000, key=key("approved")
    )
    payout_services.payout_approve(user=staff, payout_id=approved.pk)

    # The storefront: a blog post, two photos, two videos (so they can move), a voice
    # sample; and a notification for the customer.
    post = blog.post_create(provider=provider, title="聞くこと", body="ゆっくり。", publish=True)
    images = media.images_add(provider=provider, uploads=[photo("a.jpg"), photo("b.jpg")])
    video_links = [
        media.video_add(provider=provider, url=f"https://www.youtube.com/watch?v={video_id}")
        for video_id in ("dQw4w9WgXcQ", "9bZkp7q19f0")
    ]
    media.voice_sample_set(provider=provider, upload=upload(mp3_bytes(), "voice.mp3", "audio/mpeg"))
    notification = notification_send(
        user=customer, kind="welcome", url=reverse("storefront:detail", args=[provider.pk])
    )

    # Messages: the customer writes (with a photo), the provider answers, the customer
    # reports the answer (so staff have one to decide).
    # Every message to the provider costs ¥100 in points, so a paid one can be given back.
    paid = {"mode": "paid", "free_count": 0, "free_period": "total", "max_length": 500}
    access_services.message_policy_set(
        provider=provider,
        payment="prepaid",
        **{
            f"{audience}_{name}": value
            for audience in ("newcomers", "regulars")
            for name, value in {**paid, "price_yen": 100}.items()
        },
    )
    asked, _new = message_services.message_send_to_provider(
        customer=customer,
        provider_id=provider.pk,
        text="はじめまして。",
        client_id=key("message"),
        images=[photo("m.jpg")],
        price_yen=100,
    )
    answered, _new = message_services.message_send(
        user=provider.user, thread_id=asked.thread_id, text="ようこそ。", client_id=key("answer")
    )
    report_services.message_report(user=customer, message_id=answered.pk, reason="確認のため")
    # Both have read the thread: a page shown again after a refusal moves no read mark.
    for reader in (customer, provider.user):
        message_services.thread_read_by_id(user=reader, thread_id=asked.thread_id, up_to=None)

    # Someone rings the provider now.
    on_standby(provider)
    caller = customer_with_points(10_000)
    ringing = session_services.session_request(customer=caller, offering_id=offering.pk)

    # Events: one that began an hour ago with the customer's seat (check-in and no-show on
    # the attendee list); an invite-only tea party for one where the customer's seat is
    # confirmed; a public one where a seat freed by someone else is held for them.
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        begun = event_make(provider, starts_at=NOW - dt.timedelta(hours=1), price_yen=1000)
        begun_seat = event_register(customer=customer, event_id=begun.pk, key=key("begun"))
    invited = event_make(provider, audience="invited", capacity=1, title="招待制のお茶会")
    event_invite(user=provider.user, event_id=invited.pk, customer_ids=[customer.pk])
    invited_seat = event_register(customer=customer, event_id=invited.pk, key=key("seat"))
    offered_event = event_make(provider, capacity=1, price_yen=0)
    other_guest = customer_with_points(10_000)
    first = event_register(customer=other_guest, event_id=offered_event.pk, key=key("first"))
    offered = event_register(customer=customer, event_id=offered_event.pk, key=key("offered"))
    registration_cancel(user=other_guest, registration_id=first.pk)
    # ... and a lunch nobody has registered for: the thread offers an invitation to it.
    event_make(provider, title="ランチ会")
    # A note on the customer's card.
    note = card_services.note_add(provider=provider, customer_id=customer.pk, text="紅茶が好き")
    # A follow-up template, and a follow-up waiting to be sent to the customer.
    template = followup_services.template_save(
        provider=provider, name="お礼", body="{name}さん、ありがとうございました"
    )
    suggestion = Suggestion.objects.create(
        provider=provider, customer=customer, reasons=["lapsed_regular"], score=1000
    )
    [followup] = followup_services.followup_create(
        provider=provider,
        customer_ids=[customer.pk],
        body="また話しましょう",
        send_at=NOW + dt.timedelta(days=1),
        now=NOW,
    )

    # Keys from e-mail: a second address to confirm, and a password reset.
    second = EmailAddress.objects.create(
        user=customer, email="second@aizuchi.example", verified=False, primary=False
    )
    return World(
        users={"visitor": None, "customer": customer, "provider": provider.user, "staff": staff},
        values={
            "provider_id": [provider.pk],
            "post_id": [post.pk],
            "booking_id": [pending.pk, confirmed.pk, past.pk],
            "session_id": [unreviewed.session_id, ringing.pk],
            "payment_id": [transfer.pk, card.pk],
            "invoice_id": [invoice.pk],
            "charge_id": [reviewed.pk],
            "payout_id": [payout.pk, approved.pk],
            "review_id": [review.pk, hidden.pk],
            "image_id": [image.pk for image in images],
            "video_id": [video.pk for video in video_links],
            "change_id": [change.pk],
            "notification_id": [notification.pk],
            "thread_id": [asked.thread_id],
            "message_id": [asked.pk, answered.pk],
            "customer_id": [customer.pk],
            "event_id": [begun.pk, invited.pk, offered_event.pk],
            "registration_id": [begun_seat.pk, invited_seat.pk, offered.pk],
            "note_id": [note.pk],
            "followup_id": [followup.pk],
            "template_id": [template.pk],
            "suggestion_id": [suggestion.pk],
            "year": [NOW.year],
            "month": [NOW.month],
            "token": [slot_services.booking_settings_for(provider).calendar_token, card.token],
            "code": ["test"],
            "category_slug": ["keicho"],
            "key": [EmailConfirmationHMAC(second).key],
        },
        # The provider writes to someone known by a ring, with no thread yet (to one with a
        # thread, the page sends them on to it); a customer writes to a provider they have
        # no thread with yet, likewise.
        per_pattern={
            "messaging:to_customer": [{"customer_id": caller.pk}],
            "messaging:to_provider": [{"provider_id": OfferingFactory().provider_id}],
        },
    )


def _password_reset_key(world: World) -> None:
    """The customer's password-reset link (made after signing in: the key covers the
    time of the last sign-in)."""
    customer = world.users["customer"]
    customer.refresh_from_db()
    world.per_pattern["account_reset_password_from_key"] = [
        {
            "uidb36": user_pk_to_url_str(customer),
            "key": default_token_generator.make_token(customer),
        }
    ]


# --- URL patterns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name"
    route: str
    params: tuple[str, ...]


def _patterns(resolvers=None, prefix: str = "", namespace: str = "") -> list[Pattern]:
    found = []
    for entry in get_resolver().url_patterns if resolvers is None else resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            found += _patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            found.append(Pattern(name or "", route, tuple(entry.pattern.regex.groupindex)))
    return found


def _excluded(pattern: Pattern) -> bool:
    return pattern.route.startswith(tuple(EXCLUDED_ROUTES))


def _urls(pattern: Pattern, world: World) -> list[str]:
    """Concrete URLs for a pattern: one per combination of its parameters' values."""
    if pattern.name in world.per_pattern:
        return [reverse(pattern.name, kwargs=kw) for kw in world.per_pattern[pattern.name]]
    missing = [p for p in pattern.params if p not in world.values]
    assert not missing, (
        f"{pattern.name} ({pattern.route}) takes {missing}: give them values in _build_world"
    )
    urls = []
    for combo in itertools.product(*(world.values[p] for p in pattern.params)):
        urls.append(reverse(pattern.name, kwargs=dict(zip(pattern.params, combo, strict=True))))
    return urls


def _url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


# --- forms on pages ---------------------------------------------------------------------------


@dataclass
class Form:
    who: str
    action: str  # a path
    fields: dict[str, list[str]]  # name -> values (a good submission)
    options: dict[str, list[str]] = field(default_factory=dict)  # selects, radios, buttons
    htmx: bool = False
    found_on: str = ""
    # The URL that led to the page, when that was a redirect which keeps state in the
    # session (a password-reset link): opened again before every post, as a browser would.
    opened_from: str = ""

    @property
    def url_name(self) -> str | None:
        return _url_name(self.action)

    def signature(self) -> tuple:
        # Forms differ by where they post and what they send; hidden values that pick a
        # branch of the view ("form=settings") make different targets.
        hidden = tuple(sorted((k, tuple(v)) for k, v in self.fields.items() if k in ("form",)))
        return (self.who, self.url_name, self.htmx, tuple(sorted(self.fields)), hidden)


class _FormParser(HTMLParser):
    """The post forms of a page: their action, fields and the values they would send."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[dict] = []
        self.current: dict | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.current = {
                    "action": a.get("action") or self.page,
                    "fields": {},
                    "options": {},
                    "hx": [],
                }
            return
        if self.current is None:
            return
        if a.get("hx-post"):
            self.current["hx"].append(a["hx-post"])
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button"):
                self.current["options"].setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":  # unticked: not sent, but a field to fill all the same
                values = self.current["fields"].setdefault(name, [])
                if "checked" in a:
                    values.append(a.get("value", "on"))
            elif kind == "radio":
                self.current["options"].setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.current["fields"].setdefault(name, []).append(a.get("value", "on"))
            elif kind == "file":
                self.current["fields"].setdefault(name, [])
            else:
                self.current["fields"].setdefault(name, []).append(a.get("value", ""))
        elif tag == "button" and name:
            self.current["options"].setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and name:
            self.select = name
            self.current["fields"].setdefault(name, [])
        elif tag == "option" and self.select:
            value = a.get("value", "")
            self.current["options"].setdefault(self.select, []).append(value)
            if "selected" in a:
                self.current["fields"][self.select].append(value)
        elif tag == "textarea" and name:
            self.textarea = name
            self.current["fields"][name] = [""]

    def handle_data(self, data):
        if self.current is not None and self.textarea:
            self.current["fields"][self.textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.current is not None:
            self.forms.append(self.current)
            self.current = None


def _forms_on(page_path: str, html: str, who: str, opened_from: str = "") -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    found = []
    for raw in parser.forms:
        fields = raw["fields"]
        for name, options in raw["options"].items():
            if not fields.get(name):
                # An unchosen select or radio group, or the form's buttons: the first one.
                fields[name] = [options[0]]
        action = urlsplit(raw["action"]).path or page_path
        found.append(Form(who, action, fields, raw["options"], False, page_path, opened_from))
        for target in raw["hx"]:
            hx_action = urlsplit(target).path
            found.append(
                Form(who, hx_action, dict(fields), raw["options"], True, page_path, opened_from)
            )
    return found


# --- the database, before and after --------------------------------------------------------


SKIPPED_TABLES = {
    # A session row is written on every sign-in and every flash message.
    "django_session",
    # A page that shows a balance opens the person's ledger account on first sight (an
    # empty row); money moves only as entries and lines, which are compared.
    "billing_account",
}

# Rows a refusal writes on purpose: the refusal itself is what they record.
RECORDED_ON_REFUSAL = {
    # Someone new who finds the provider busy is written down for the provider's insights.
    "live:start": {"access_missednewcomer"},
}


def _tables():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.db_table not in SKIPPED_TABLES
    ]


def _db_state(tables) -> dict[str, str]:
    """A digest of every row of every table (raw SQL: the ORM's conversions cost more
    than the whole comparison)."""
    state = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in tables:
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608
            state[table] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
    return state


# --- the sweep ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    form: Form
    case: str
    status: int
    refused: bool
    changed: list[str]  # tables a refusal changed (not looked at for accepted posts)
    location: str = ""

    def takes_post(self) -> bool:
        """Not a 405, nor the sign-in or open-a-storefront gate in front of any view."""
        gates = (reverse("account_login"), reverse("storefront:open"))
        return self.status != 405 and not urlsplit(self.location).path.startswith(gates)


def _has_form_errors(response) -> bool:
    """A form or formset of the page's context has errors (or the page shows some)."""
    contexts = response.context or []
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values():
            if isinstance(value, BaseForm) and value.errors:
                return True
            if isinstance(value, BaseFormSet) and (
                value.total_error_count() or value.non_form_errors()
            ):
                return True
    html = response.content.decode(errors="replace")
    return 'role="alert"' in html and ("field-error" in html or "form-errors" in html)


def _error_flashed(response) -> bool:
    return any(m.level >= message_levels.ERROR for m in get_messages(response.wsgi_request))


ROW_FIELD = re.compile(r"^(?P<prefix>.+)-(?P<row>\d+|__prefix__)-(?P<name>.+)$")


def _representative(fields: dict) -> list[str]:
    """The fields to fill with bad values one by one. The rows of a formset are alike:
    its first and last rows (a filled one and an empty extra one) stand for the others,
    and the template row scripts copy (``__prefix__``) is not a row."""
    rows: dict[str, list[int]] = {}
    for name in fields:
        match = ROW_FIELD.match(name)
        if match and match["row"].isdigit():
            rows.setdefault(match["prefix"], []).append(int(match["row"]))
    kept = []
    for name in fields:
        match = ROW_FIELD.match(name)
        if match is None:
            kept.append(name)
        elif match["row"].isdigit():
            indexes = rows[match["prefix"]]
            if int(match["row"]) in (min(indexes), max(indexes)):
                kept.append(name)
    return kept


class Sweep:
    def __init__(self, world: World, clients: dict[str, Client]) -> None:
        self.world = world
        self.clients = clients
        self.tables = _tables()
        # Every request is rolled back, so each one starts from this same state.
        self.baseline = _db_state(self.tables)
        self.failures: list[str] = []
        self.outcomes: list[Outcome] = []
        self.posted_patterns: set[str] = set()

    # One request in a savepoint that is rolled back, with cookies and cache restored.
    def _isolated(self, who: str, run):
        client = self.clients[who]
        cookies = client.cookies
        client.cookies = type(cookies)(cookies)
        cache.clear()
        try:
            with transaction.atomic():
                try:
                    return run(client)
                finally:
                    transaction.set_rollback(True)
        finally:
            client.cookies = cookies
            cache.clear()

    def get(self, who: str, url: str):
        def run(client):
            try:
                return client.get(url, follow=True)
            except Exception:  # noqa: BLE001 (every failure is collected and reported)
                self.failures.append(f"GET {url} as {who}: {traceback.format_exc(limit=-3)}")
                return None

        response = self._isolated(who, run)
        if response is not None and response.status_code >= 500:
            self.failures.append(f"GET {url} as {who}: {response.status_code}")
        return response

    def post(self, form: Form, case: str, data: dict[str, list[str]]) -> Outcome | None:
        headers = {"HX-Request": "true"} if form.htmx else {}

        def run(client):
            if form.opened_from:
                client.get(form.opened_from, follow=True)
            try:
                response = client.post(form.action, data, headers=headers)
            except Exception:  # noqa: BLE001
                self.failures.append(
                    f"POST {form.action} as {form.who} [{case}]: {traceback.format_exc(limit=-4)}"
                )
                return None
            status = response.status_code
            if status >= 500:
                self.failures.append(f"POST {form.action} as {form.who} [{case}]: {status}")
                return None
            refused = 400 <= status < 500 or _has_form_errors(response) or _error_flashed(response)
            changed = []
            if refused:
                after = _db_state(self.tables)
                changed = sorted(
                    table
                    for table, digest in self.baseline.items()
                    if after[table] != digest
                    and table not in RECORDED_ON_REFUSAL.get(form.url_name, ())
                )
            outcome = Outcome(form, case, status, refused, changed, response.get("Location", ""))
            self.outcomes.append(outcome)
            if refused and changed:
                self.failures.append(
                    f"POST {form.action} as {form.who} [{case}] was refused ({status}) "
                    f"but changed {changed}"
                )
            if not refused:
                self._accepted(form, case, client, response)
            return outcome

        return self._isolated(form.who, run)

    def _accepted(self, form: Form, case: str, client, response) -> None:
        for model, attr in ((User, "display_name"), (Provider, "display_name")):
            for value in model.objects.values_list(attr, flat=True):
                if name_has_invisible(value):
                    self.failures.append(
                        f"POST {form.action} as {form.who} [{case}] stored {value!r} "
                        f"as a {model.__name__}.{attr}"
                    )
        if 300 <= response.status_code < 400:
            location = urlsplit(response["Location"])
            if not location.netloc or location.netloc == "testserver":
                try:
                    page = client.get(location.path, {}, follow=True)
                except Exception:  # noqa: BLE001
                    self.failures.append(
                        f"GET {location.path} after POST {form.action} as {form.who} "
                        f"[{case}]: {traceback.format_exc(limit=-3)}"
                    )
                    return
                if page.status_code >= 500:
                    self.failures.append(
                        f"GET {location.path} after POST {form.action} as {form.who} "
                        f"[{case}]: {page.status_code}"
                    )

    def sweep(self, form: Form) -> None:
        self.posted_patterns.add(form.url_name)
        good = {name: list(values) for name, values in form.fields.items()}
        self.post(form, "as shown", good)
        touchable = [name for name in _representative(good) if name not in UNTOUCHED_FIELDS]
        touchable += [name for name in STRAY_FIELDS if name not in good]
        for label, bad in BAD_VALUES.items():
            self.post(form, f"every field {label}", {**good, **dict.fromkeys(touchable, [bad])})
            for name in touchable:
                self.post(form, f"{name}={label}", {**good, name: [bad]})


@pytest.fixture
def world(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield _build_world()


def test_every_form_survives_bad_input(world):
    clients = {}
    for who, user in world.users.items():
        clients[who] = Client()
        if user is not None:
            clients[who].force_login(user)
    _password_reset_key(world)
    sweep = Sweep(world, clients)
    patterns = [p for p in _patterns() if not _excluded(p)]

    # 1. Every page as everyone; the post forms on them are the targets.
    targets: dict[tuple, Form] = {}
    accepts_post: set[str] = set()
    for pattern in patterns:
        for url in _urls(pattern, world):
            for who in world.users:
                response = sweep.get(who, url)
                if response is not None and response.status_code == 200:
                    page = response.request["PATH_INFO"]
                    opened_from = url if response.redirect_chain else ""
                    # Files (a message's photo, a calendar) are streamed: no forms there.
                    if response.get("Content-Type", "").startswith("text/html"):
                        html = response.content.decode(errors="replace")
                        for form in _forms_on(page, html, who, opened_from):
                            if form.url_name is not None:
                                targets.setdefault(form.signature(), form)
                # Does the pattern take a POST at all? (405 when it does not.)
                probe = sweep.post(Form(who, url, {}), "probe: empty", {})
                if probe is not None and probe.takes_post():
                    accepts_post.add(pattern.name)
    for name, (who, fields) in FORMLESS.items():
        for url in _urls(next(p for p in patterns if p.name == name), world):
            targets[(who, name, url)] = Form(who, url, dict.fromkeys(fields, ["1"]))

    # 2. Every target, with good and bad values.
    for form in targets.values():
        sweep.sweep(form)

    uncovered = accepts_post - sweep.posted_patterns
    assert not sweep.failures, f"{len(sweep.failures)} failures:\n" + "\n\n".join(sweep.failures)
    assert not uncovered, (
        f"these patterns take a POST but no page shows a form for them: {sorted(uncovered)}; "
        "render one, or list the pattern in FORMLESS with its fields and the reason"
    )
    # The walk reached the forms that matter (a guard against a broken crawl).
    assert len(targets) >= 50, sorted({f.url_name for f in targets.values()})
