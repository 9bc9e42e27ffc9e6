"""Every request that moves money, sent ten times at once through real server processes.

One table, one row per money-changing POST: how to set the scene, how to build the i-th
of ten requests (each a new one, with its own idempotency key where the form has one),
and what the same ten requests give one after the other: how many did what they asked,
what each of the others was told, and the amounts afterwards.

Each row runs twice on scenes of its own: the ten requests one after the other, then the
ten at the same moment (a barrier) against two uvicorn processes over the test database.
Both must give exactly the row's serial outcome; no request may answer 500; the ledger
nets to zero entry by entry, every cached balance equals the sum of its postings, and the
records (invoices, holds, payouts, refunds) agree with the ledger. On SQLite and on
PostgreSQL. A new endpoint that moves money (paid messages, event registrations) adds one
row to ``RACES``.

The same key sent again (a double click, a retry) is tested beside the ledger
(``test_ledger.py``) and each service; here every request is a new one.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db.models import F, Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aizuchi.access.models import AccessPolicy
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.gateways.sandbox import SandboxGateway
from aizuchi.billing.models import (
    PLATFORM_KINDS,
    Account,
    Charge,
    Entry,
    Hold,
    Invoice,
    Payment,
    PayoutRequest,
    Posting,
)
from aizuchi.billing.services import payments, payouts
from aizuchi.booking.models import Booking
from aizuchi.booking.services.bookings import booking_request
from aizuchi.booking.services.slots import booking_settings_for, slots_for
from aizuchi.core.forms import new_key
from aizuchi.core.testing import AsgiServer
from aizuchi.live.models import Session
from aizuchi.live.services.sessions import session_request
from aizuchi.live.tests.factories import on_standby
from aizuchi.storefront.models import Offering
from aizuchi.storefront.services.standby import WindowSpec, standby_plan_set

from .factories import (
    OfferingFactory,
    fund,
    give_earnings,
    key,
    postpaid_invoice,
    prepaid_charge,
    wallet_yen,
)

pytestmark = pytest.mark.django_db(transaction=True)

TEN = 10
CSRF = "r4ce" * 8  # a CSRF secret of 32 letters and digits, sent as cookie and field


# --- the table's types ------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One request: who sends it (None: a gateway's server, without a session), where,
    and the fields; ``keyed`` forms carry a new idempotency key each time."""

    user: Any
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    keyed: bool = True


class Scene(SimpleNamespace):
    """What a row's setup made. ``read`` names the amounts the row's outcome states,
    each with a function that reads it from the database."""

    read: dict[str, Callable[[], int]]

    def amounts(self) -> dict[str, int]:
        return {name: read() for name, read in self.read.items()}


@dataclass(frozen=True)
class Outcome:
    """How ten requests ended: how many did what they asked, what the others were told
    (message → how many heard it), and the amounts afterwards."""

    done: int
    told: dict[str, int]
    amounts: dict[str, int]


def outcome(done: int, amounts: dict[str, int], told: str = "") -> Outcome:
    """Ten requests of which ``done`` did what they asked and each of the others was told
    ``told``; then ``amounts``."""
    return Outcome(done, {told: TEN - done} if done < TEN else {}, amounts)


@dataclass(frozen=True)
class Race:
    """A row: the scene, the i-th of the ten requests, and what ten in a row give."""

    name: str
    setup: Callable[[], Scene]
    request: Callable[[Scene, int], Post]
    serial: Outcome


# --- people and things ------------------------------------------------------------------------


def _en(user):
    """Everyone here reads the site in English, so the messages can be compared."""
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def _customer(points: int = 0):
    customer = _en(UserFactory())
    if points:
        fund(customer, points)
    return customer


def _staff():
    return _en(UserFactory(is_staff=True))


def _offering(**fields) -> Offering:
    offering = OfferingFactory(**fields)
    _en(offering.provider.user)
    offering.provider.display_name = "Hana"
    offering.provider.save(update_fields=["display_name"])
    return offering


def _invoice(customer, yen: int = 2000) -> Invoice:
    """An open invoice of ``yen`` for a postpaid session (¥100 a minute)."""
    offering = _offering(payment=Offering.Payment.POSTPAID)
    return postpaid_invoice(customer, offering, minutes=yen // 100)


def _fresh(model, pk: int):
    return model.objects.get(pk=pk)


def _paid(invoice) -> Callable[[], int]:
    return lambda: _fresh(Invoice, invoice.pk).paid_yen


def _owed(customer) -> Callable[[], int]:
    return lambda: ledger.balance_yen(ledger.receivable(customer))


def _held(customer) -> Callable[[], int]:
    return lambda: ledger.balance_yen(ledger.hold_account(customer))


def _wallet(customer) -> Callable[[], int]:
    return lambda: wallet_yen(customer)


def _earnings(provider) -> Callable[[], int]:
    return lambda: ledger.balance_yen(ledger.earnings(provider))


def _payout_pending(provider) -> Callable[[], int]:
    return lambda: ledger.balance_yen(ledger.payout_pending(provider))


def _pending_payments(customer) -> Callable[[], int]:
    return lambda: Payment.objects.filter(customer=customer, status="pending").count()


# --- points and invoices ------------------------------------------------------------------------


def points_bought() -> Scene:
    customer = _customer()
    return Scene(
        customer=customer,
        read={"wallet": _wallet(customer), "payments pending": _pending_payments(customer)},
    )


def points_to_settle() -> Scene:
    """Ten card payments of ¥1,000 in points, each waiting for its gateway's callback."""
    customer = _customer()
    started = [
        payments.points_purchase_start(
            customer=customer, amount_yen=1000, gateway_code="test", key=key()
        )
        for _ in range(TEN)
    ]
    return Scene(customer=customer, payments=started, read={"wallet": _wallet(customer)})


def invoice_with_points() -> Scene:
    """A ¥2,000 invoice; the customer has ¥10,000 in points."""
    customer = _customer(points=10_000)
    invoice = _invoice(customer)
    return Scene(
        customer=customer,
        invoice=invoice,
        read={
            "wallet": _wallet(customer),
            "invoice paid": _paid(invoice),
            "owed": _owed(customer),
            "payments pending": _pending_payments(customer),
        },
    )


def invoice_payments_waiting(gateway: str) -> Callable[[], Scene]:
    """A ¥2,000 invoice and ten payments of ¥500 for it through ``gateway``, started
    one after the other (each for no more than was owed), none settled yet."""

    def setup() -> Scene:
        customer = _customer()
        invoice = _invoice(customer)
        started = [
            payments.invoice_payment_start(
                customer=customer,
                invoice_id=invoice.pk,
                amount_yen=500,
                gateway_code=gateway,
                key=key(),
            )
            for _ in range(TEN)
        ]
        return Scene(
            customer=customer,
            invoice=invoice,
            payments=started,
            read={
                "wallet": _wallet(customer),
                "invoice paid": _paid(invoice),
                "owed": _owed(customer),
            },
        )

    return setup


def invoice_for_cash() -> Scene:
    """A ¥2,000 invoice its provider will be paid in cash; the customer has no points."""
    customer = _customer()
    invoice = _invoice(customer)
    return Scene(
        customer=customer,
        invoice=invoice,
        provider_user=invoice.provider.user,
        read={
            "wallet": _wallet(customer),
            "invoice paid": _paid(invoice),
            "owed": _owed(customer),
            "cash recorded": lambda: (
                Payment.objects.filter(invoice=invoice, status="succeeded").aggregate(
                    total=Sum("amount_yen")
                )["total"]
                or 0
            ),
        },
    )


def charge_to_refund() -> Scene:
    """A prepaid session charged ¥2,000 from points (none left)."""
    customer = _customer()
    charge = prepaid_charge(customer, _offering(), minutes=20)
    return Scene(
        staff=_staff(),
        charge=charge,
        read={
            "refunded": lambda: _fresh(Charge, charge.pk).refunded_yen,
            "wallet": _wallet(customer),
            "earnings": _earnings(charge.provider),
        },
    )


def wallet_to_adjust() -> Scene:
    customer = _customer(points=2000)
    return Scene(staff=_staff(), customer=customer, read={"wallet": _wallet(customer)})


# --- payouts ------------------------------------------------------------------------------------


def earnings_to_pay_out() -> Scene:
    provider = _offering().provider
    give_earnings(provider, 10_000)
    return Scene(
        provider=provider,
        read={"earnings": _earnings(provider), "payouts pending": _payout_pending(provider)},
    )


def payout_waiting(*, approved: bool = False) -> Callable[[], Scene]:
    """A provider with ¥10,000 earned has asked for ¥5,000 (which staff approved)."""

    def setup() -> Scene:
        scene = earnings_to_pay_out()
        scene.staff = _staff()
        scene.payout = payouts.payout_request(
            provider=scene.provider, user=scene.provider.user, amount_yen=5000, key=key()
        )
        if approved:
            payouts.payout_approve(user=scene.staff, payout_id=scene.payout.pk)
        scene.read["sent"] = lambda: Entry.objects.filter(
            payout=scene.payout, kind=Entry.Kind.PAYOUT_PAID
        ).count()
        return scene

    return setup


# --- bookings and live sessions ------------------------------------------------------------------


def _bookable(**changes) -> Offering:
    """A chat offering (¥100 a minute, prepaid) whose provider takes bookings at any hour
    of any day, in 30-minute slots with a 10-minute break, no notice needed."""
    offering = _offering(price_per_minute=100)
    standby_plan_set(
        provider=offering.provider,
        windows=[
            WindowSpec(weekday=day, start_time=dt.time(0, 0), minutes=24 * 60, kind="appointment")
            for day in range(7)
        ],
    )
    found = booking_settings_for(offering.provider)
    for name, value in {
        "notice_minutes": 0,
        "buffer_minutes": 10,
        "cancel_hours": 24,
        "late_cancel_percent": 50,
        **changes,
    }.items():
        setattr(found, name, value)
    found.save()
    return offering


def _booking_read(scene: Scene) -> dict[str, Callable[[], int]]:
    customer = scene.customer
    return {
        "wallet": _wallet(customer),
        "held": _held(customer),
        "bookings": lambda: Booking.objects.filter(
            customer=customer, status__in=["pending", "confirmed"]
        ).count(),
        "fees": lambda: Charge.objects.filter(customer=customer, booking_id__isnull=False).count(),
    }


def times_to_book(
    *, points: int, bookings_per_week: int | None = None, providers: int = 1
) -> Callable[[], Scene]:
    """Ten free 30-minute times (¥3,000 each) an hour or more apart, from tomorrow; with
    ``providers``, the i-th time is with provider i modulo their number (``offerings``),
    so the requests to different providers are not taken one at a time."""

    def setup() -> Scene:
        offerings = [_bookable() for _ in range(providers)]
        if bookings_per_week is not None:
            for offering in offerings:
                AccessPolicy.objects.update_or_create(
                    provider=offering.provider, defaults={"bookings_per_week": bookings_per_week}
                )
        tomorrow = timezone.now() + dt.timedelta(days=1)
        hours = [
            [
                slot.start
                for slot in slots_for(provider=offering.provider, offering=offering)
                if slot.start >= tomorrow and slot.start.minute == 0
            ]
            for offering in offerings
        ]
        starts = [hours[i % providers][i // providers] for i in range(TEN)]
        scene = Scene(
            customer=_customer(points=points),
            offering=offerings[0],
            offerings=[offerings[i % providers] for i in range(TEN)],
            starts=starts,
        )
        scene.read = _booking_read(scene)
        return scene

    return setup


def booked(*, started: bool = False, pending: bool = False) -> Callable[[], Scene]:
    """A customer with ¥10,000 has booked 30 minutes (¥3,000 held): a time within the
    next day (a cancellation costs half), one that began over ten minutes ago, or a
    request the provider has not answered."""

    def setup() -> Scene:
        offering = _bookable(confirm_instantly=not pending)
        customer = _customer(points=10_000)
        now = timezone.now()
        since = now - dt.timedelta(minutes=50) if started else now
        slots = slots_for(provider=offering.provider, offering=offering, now=since)
        if started:
            slot = next(s for s in slots if s.start <= now - dt.timedelta(minutes=11))
        else:
            slot = next(s for s in slots if s.start >= now + dt.timedelta(minutes=5))
        booking = booking_request(
            customer=customer, offering_id=offering.pk, start=slot.start, key=key(), now=since
        )
        scene = Scene(customer=customer, provider_user=offering.provider.user, booking=booking)
        scene.read = _booking_read(scene)
        return scene

    return setup


def session_to_start() -> Scene:
    """A provider on standby; the customer has ¥3,000 in points (¥100 a minute)."""
    offering = _offering(price_per_minute=100)
    on_standby(offering.provider)
    customer = _customer(points=3000)
    return Scene(
        customer=customer,
        offering=offering,
        read={
            "wallet": _wallet(customer),
            "held": _held(customer),
            "sessions": lambda: Session.objects.filter(customer=customer).count(),
        },
    )


def session_ringing() -> Scene:
    scene = session_to_start()
    scene.session = session_request(customer=scene.customer, offering_id=scene.offering.pk)
    scene.read["holds open"] = lambda: Hold.objects.filter(
        customer=scene.customer, status="open"
    ).count()
    return scene


def paid_messages_to_send() -> Scene:
    """A provider whose messages cost ¥300 in points; the customer has ¥1,000 and has
    written to them once already (their thread exists)."""
    from aizuchi.messaging.models import Message, Thread
    from aizuchi.messaging.tests.factories import paid_messages, send

    provider = _offering().provider
    paid_messages(provider, 300)
    customer = _customer(points=1000)
    send(customer, provider, "はじめまして", price_yen=300)
    thread = Thread.objects.get(customer=customer)
    # Ten sends are what one person may send in ten seconds: the first does not count
    # against them (the cache is the servers' too with Redis).
    from django.core.cache import cache

    cache.clear()
    return Scene(
        customer=customer,
        thread=thread,
        read={
            "wallet": _wallet(customer),
            "earnings": _earnings(provider),
            "messages": lambda: Message.objects.filter(thread=thread).count(),
            "charges": lambda: Charge.objects.filter(
                message_id__isnull=False, customer=customer
            ).count(),
        },
    )


def with_staff(setup: Callable[[], Scene]) -> Callable[[], Scene]:
    def staffed() -> Scene:
        scene = setup()
        scene.staff = _staff()
        return scene

    return staffed


# --- the table --------------------------------------------------------------------------------


def _callback(payment) -> Post:
    fields = SandboxGateway().signed_fields(payment.token, "succeeded")
    return Post(None, reverse("billing:gateway_callback", args=["test"]), fields, keyed=False)


RACES = [
    Race(
        "points bought",
        points_bought,
        lambda s, i: Post(
            s.customer, reverse("billing:wallet"), {"amount_yen": 1000, "gateway": "manual"}
        ),
        outcome(10, {"wallet": 0, "payments pending": 10}),
    ),
    Race(
        "points paid by card (gateway callbacks)",
        points_to_settle,
        lambda s, i: _callback(s.payments[i]),
        outcome(10, {"wallet": 10_000}),
    ),
    Race(
        "invoice paid with points",
        invoice_with_points,
        lambda s, i: Post(
            s.customer,
            reverse("billing:invoice", args=[s.invoice.pk]),
            {"method": "points", "amount_yen": 500},
        ),
        outcome(
            4,
            {"wallet": 8000, "invoice paid": 2000, "owed": 0, "payments pending": 0},
            told="Nothing is left to pay on this invoice.",
        ),
    ),
    Race(
        "invoice payment started by card",
        invoice_with_points,
        lambda s, i: Post(
            s.customer,
            reverse("billing:invoice", args=[s.invoice.pk]),
            {"method": "test", "amount_yen": 500},
        ),
        outcome(10, {"wallet": 10_000, "invoice paid": 0, "owed": 2000, "payments pending": 10}),
    ),
    Race(
        # Money that arrived is never lost: what the invoice no longer needs becomes points.
        "invoice paid by card (gateway callbacks)",
        invoice_payments_waiting("test"),
        lambda s, i: _callback(s.payments[i]),
        outcome(10, {"wallet": 3000, "invoice paid": 2000, "owed": 0}),
    ),
    Race(
        "invoice paid by bank transfer (staff confirm)",
        with_staff(invoice_payments_waiting("manual")),
        lambda s, i: Post(
            s.staff, reverse("billing:staff_payment_confirm", args=[s.payments[i].pk]), keyed=False
        ),
        outcome(10, {"wallet": 3000, "invoice paid": 2000, "owed": 0}),
    ),
    Race(
        # Cash went to the provider: recording more than is owed would make points of it.
        "cash recorded by the provider",
        invoice_for_cash,
        lambda s, i: Post(
            s.provider_user,
            reverse("billing:invoice_cash_received", args=[s.invoice.pk]),
            {"amount_yen": 500, "note": ""},
        ),
        outcome(
            4,
            {"wallet": 0, "invoice paid": 2000, "owed": 0, "cash recorded": 2000},
            told="Nothing is left to pay on this invoice.",
        ),
    ),
    Race(
        "refund by staff",
        charge_to_refund,
        lambda s, i: Post(
            s.staff,
            reverse("billing:staff_refund", args=[s.charge.pk]),
            {"amount_yen": 300, "reason": "お詫びとして"},
        ),
        outcome(
            6,
            {"refunded": 1800, "wallet": 1800, "earnings": 160},
            told="Enter a whole number of yen from ¥1 to ¥200.",
        ),
    ),
    Race(
        "points taken away by staff",
        wallet_to_adjust,
        lambda s, i: Post(
            s.staff,
            reverse("billing:staff_adjust"),
            {"target": "wallet", "owner_id": s.customer.pk, "amount_yen": -500, "reason": "誤入金"},
        ),
        outcome(4, {"wallet": 0}, told="There are not enough points for this."),
    ),
    Race(
        "payout requested",
        earnings_to_pay_out,
        lambda s, i: Post(s.provider.user, reverse("billing:earnings"), {"amount_yen": 4000}),
        outcome(
            2,
            {"earnings": 2000, "payouts pending": 8000},
            told="Enter a whole number of yen from ¥1,000 to ¥2,000.",
        ),
    ),
    Race(
        "payout withdrawn by the provider",
        payout_waiting(),
        lambda s, i: Post(
            s.provider.user, reverse("billing:payout_cancel", args=[s.payout.pk]), keyed=False
        ),
        outcome(
            1,
            {"earnings": 10_000, "payouts pending": 0, "sent": 0},
            told="This payout request is cancelled and cannot change that way.",
        ),
    ),
    Race(
        "payout approved",
        payout_waiting(),
        lambda s, i: Post(
            s.staff, reverse("billing:staff_payout_approve", args=[s.payout.pk]), keyed=False
        ),
        outcome(
            1,
            {"earnings": 5000, "payouts pending": 5000, "sent": 0},
            told="This payout request is approved and cannot change that way.",
        ),
    ),
    Race(
        "payout sent",
        payout_waiting(approved=True),
        lambda s, i: Post(
            s.staff,
            reverse("billing:staff_payout_paid", args=[s.payout.pk]),
            {"reference": f"振込 {i}"},
            keyed=False,
        ),
        outcome(
            1,
            {"earnings": 5000, "payouts pending": 0, "sent": 1},
            told="This payout request is paid and cannot change that way.",
        ),
    ),
    Race(
        "payout rejected",
        payout_waiting(approved=True),
        lambda s, i: Post(
            s.staff,
            reverse("billing:staff_payout_reject", args=[s.payout.pk]),
            {"note": "口座名義が違います"},
            keyed=False,
        ),
        outcome(
            1,
            {"earnings": 10_000, "payouts pending": 0, "sent": 0},
            told="This payout request is rejected and cannot change that way.",
        ),
    ),
    Race(
        "bookings held on points",
        times_to_book(points=10_000),
        lambda s, i: Post(
            s.customer,
            reverse("booking:provider", args=[s.offering.provider_id]),
            {"offering_id": s.offering.pk, "start": s.starts[i].isoformat(), "confirmed": "1"},
        ),
        outcome(
            3,
            {"wallet": 1000, "held": 9000, "bookings": 3, "fees": 0},
            told=(
                "This booking holds ¥3,000 of points until it takes place, and you have "
                "¥1,000. Buy points to book."
            ),
        ),
    ),
    Race(
        # Two providers' bookings are not taken one at a time: the points decide, and the
        # database's check on the wallet when two holds race for the last of them.
        "bookings with two providers held on points",
        times_to_book(points=10_000, providers=2),
        lambda s, i: Post(
            s.customer,
            reverse("booking:provider", args=[s.offerings[i].provider_id]),
            {
                "offering_id": s.offerings[i].pk,
                "start": s.starts[i].isoformat(),
                "confirmed": "1",
            },
        ),
        outcome(
            3,
            {"wallet": 1000, "held": 9000, "bookings": 3, "fees": 0},
            told=(
                "This booking holds ¥3,000 of points until it takes place, and you have "
                "¥1,000. Buy points to book."
            ),
        ),
    ),
    Race(
        "bookings over the weekly limit",
        times_to_book(points=100_000, bookings_per_week=2),
        lambda s, i: Post(
            s.customer,
            reverse("booking:provider", args=[s.offering.provider_id]),
            {"offering_id": s.offering.pk, "start": s.starts[i].isoformat(), "confirmed": "1"},
        ),
        outcome(
            2,
            {"wallet": 94_000, "held": 6000, "bookings": 2, "fees": 0},
            told="Hana takes at most 2 bookings a week from one person.",
        ),
    ),
    Race(
        "booking cancelled late (the fee)",
        booked(),
        lambda s, i: Post(s.customer, reverse("booking:cancel", args=[s.booking.pk]), keyed=False),
        outcome(
            1,
            {"wallet": 8500, "held": 0, "bookings": 0, "fees": 1},
            told="This booking is no longer open.",
        ),
    ),
    Race(
        "no-show marked (the fee)",
        booked(started=True),
        lambda s, i: Post(
            s.provider_user, reverse("booking:no_show", args=[s.booking.pk]), keyed=False
        ),
        outcome(
            1,
            {"wallet": 8500, "held": 0, "bookings": 0, "fees": 1},
            told="This booking is no longer open.",
        ),
    ),
    Race(
        "booking request declined (points released)",
        booked(pending=True),
        lambda s, i: Post(
            s.provider_user, reverse("booking:decline", args=[s.booking.pk]), keyed=False
        ),
        outcome(
            1,
            {"wallet": 10_000, "held": 0, "bookings": 0, "fees": 0},
            told="This booking is not waiting for an answer.",
        ),
    ),
    Race(
        # Each a new message (its own key): the points pay for two more, the rest are told
        # what a message costs and what is left; nothing is stored or charged for them.
        "paid messages sent",
        paid_messages_to_send,
        lambda s, i: Post(
            s.customer,
            reverse("messaging:thread", args=[s.thread.pk]),
            {"text": f"相談です（{i}）", "price_yen": 300},
        ),
        outcome(
            2,
            {"wallet": 100, "earnings": 720, "messages": 3, "charges": 3},
            told="This message costs ¥300 in points and you have ¥100. Buy points to send it.",
        ),
    ),
    Race(
        # Asking again while one's own call rings opens that call.
        "session started (points held)",
        session_to_start,
        lambda s, i: Post(
            s.customer, reverse("live:start"), {"offering_id": s.offering.pk}, keyed=False
        ),
        outcome(10, {"wallet": 0, "held": 3000, "sessions": 1}),
    ),
    Race(
        "ringing session declined (points released)",
        session_ringing,
        lambda s, i: Post(
            s.offering.provider.user, reverse("live:decline", args=[s.session.pk]), keyed=False
        ),
        outcome(
            1,
            {"wallet": 3000, "held": 0, "sessions": 1, "holds open": 0},
            told="This call is no longer ringing.",
        ),
    ),
]


# --- sending --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two server processes over the test database, as the scaled setup runs."""
    started = []
    with django_db_blocker.unblock():
        try:
            for name in ("one", "two"):
                server = AsgiServer(mail_dir=tmp_path_factory.mktemp(f"money-{name}") / "mail")
                started.append(server.start())
            yield started
        finally:
            for server in started:
                server.stop()


def _cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


TOLD = re.compile(
    r'class="(?:field-error|form-errors|flash-error)"[^>]*>([^<]*)<'
    r'|<li data-code="[^"]*">([^<]*)<'
)


def _told(html: str) -> list[str]:
    """The refusals a page shows: field and form errors, error flashes, refusal reasons."""
    return [" ".join(unescape(a or b).split()) for a, b in TOLD.findall(html)]


@dataclass
class Answer:
    status: int
    done: bool
    told: str
    body: str


def _answer(client: httpx.Client, response: httpx.Response) -> Answer:
    """Did the request do what it asked, and if not, what was the person told? A redirect
    is followed to read the flash message a button's result leaves."""
    status = response.status_code
    if status >= 500:
        return Answer(status, False, "", response.text[-3000:])
    if status in (301, 302, 303):
        location = response.headers["location"]
        if location.startswith("/"):
            page = client.get(location)
            errors = re.findall(r'class="flash-error">([^<]*)<', page.text)
            if errors:
                return Answer(status, False, unescape(errors[0]).strip(), "")
        return Answer(status, True, "", "")
    if status == 200:
        return Answer(status, True, "", "")
    if response.headers.get("content-type", "").startswith("text/plain"):
        return Answer(status, False, response.text.strip(), "")
    told = _told(response.text)
    return Answer(status, False, told[0] if told else "", "" if told else response.text[-3000:])


def _send(servers, posts: list[Post], *, at_once: bool) -> list[Answer]:
    cookies = {post.user.pk: _cookie(post.user) for post in posts if post.user is not None}
    barrier = threading.Barrier(len(posts)) if at_once else None

    def one(index: int) -> Answer:
        post, server = posts[index], servers[index % len(servers)]
        data = dict(post.data)
        with httpx.Client(base_url=server.url, timeout=120) as client:
            if post.user is not None:
                client.cookies.set(settings.SESSION_COOKIE_NAME, cookies[post.user.pk])
                client.cookies.set(settings.CSRF_COOKIE_NAME, CSRF)
                data["csrfmiddlewaretoken"] = CSRF
            if post.keyed:
                data["idempotency_key"] = new_key()
            if barrier is not None:
                barrier.wait(timeout=120)
            response = client.post(
                post.path,
                data=data,
                headers={"Origin": server.url, "Referer": server.url + post.path},
            )
            return _answer(client, response)

    if barrier is None:
        return [one(index) for index in range(len(posts))]
    with ThreadPoolExecutor(len(posts)) as pool:
        return list(pool.map(one, range(len(posts))))


def _run(servers, race: Race, *, at_once: bool) -> Outcome:
    scene = race.setup()
    answers = _send(servers, [race.request(scene, i) for i in range(TEN)], at_once=at_once)
    broken = [a for a in answers if a.status >= 500 or (not a.done and not a.told)]
    assert not broken, f"{race.name}: {broken[0].status}\n{broken[0].body}"
    told = Counter(a.told for a in answers if not a.done)
    return Outcome(sum(a.done for a in answers), dict(told), scene.amounts())


# --- the books ----------------------------------------------------------------------------------


def _assert_books_straight() -> None:
    """Every entry nets to zero, every cached balance is the sum of its postings, and the
    records agree with the ledger: what invoices leave owing is each customer's
    receivable, open holds are what the hold accounts hold, payouts in progress are
    what is pending, no invoice is paid beyond its amount, no charge refunded beyond it."""
    assert Posting.objects.aggregate(total=Sum("amount_yen"))["total"] in (0, None)
    unbalanced = Posting.objects.values("entry").annotate(total=Sum("amount_yen")).exclude(total=0)
    assert list(unbalanced) == []
    for account in Account.objects.exclude(kind__in=PLATFORM_KINDS):
        assert account.balance_yen == ledger.balance_yen(account), account
    for account in Account.objects.filter(kind=Account.Kind.RECEIVABLE):
        owed = sum(i.outstanding_yen for i in Invoice.objects.filter(customer_id=account.user_id))
        assert account.balance_yen == owed, account
    for account in Account.objects.filter(kind=Account.Kind.HOLD):
        held = sum(
            h.remaining_yen for h in Hold.objects.filter(customer_id=account.user_id, status="open")
        )
        assert account.balance_yen == held, account
    for account in Account.objects.filter(kind=Account.Kind.PAYOUT_PENDING):
        pending = PayoutRequest.objects.filter(
            provider_id=account.provider_id, status__in=["requested", "approved"]
        ).aggregate(total=Sum("amount_yen"))["total"]
        assert account.balance_yen == (pending or 0), account
    assert not Invoice.objects.filter(paid_yen__gt=F("amount_yen") - F("credited_yen")).exists()
    assert not Charge.objects.filter(refunded_yen__gt=F("amount_yen")).exists()


@pytest.mark.parametrize("race", RACES, ids=[race.name for race in RACES])
def test_ten_at_once_give_what_ten_one_after_another_give(servers, race):
    serial = _run(servers, race, at_once=False)
    assert serial == race.serial, f"the table's serial outcome is wrong:\n{serial}"
    _assert_books_straight()
    at_once = _run(servers, race, at_once=True)
    assert at_once == race.serial, f"at once:\n{at_once}\none after another:\n{serial}"
    _assert_books_straight()
