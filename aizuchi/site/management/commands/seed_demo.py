"""`manage.py seed_demo`: fill a database with realistic demo providers and customers.

    manage.py seed_demo                      # 40 providers, 20 customers, seed 1
    manage.py seed_demo --providers 400000   # a large catalogue for load testing
    manage.py seed_demo --if-empty           # what `make run` does: only on a new database

The three fixed demo logins (customer@, provider@, admin@aizuchi.example) are always
ensured. Bulk users are numbered per seed (p1-1@demo.aizuchi.example …); running again
with the same seed continues after the highest number already present, and record n
of a seed is always the same person (see aizuchi.site.demo).

Speed: rows are inserted with bulk_create, one transaction per batch, with generation
done per batch so memory stays flat; the demo password is hashed once for everyone.
400,000 providers (about 1.8 million rows) take about a minute on SQLite or PostgreSQL;
measure with `bench/seed_demo.py`. Nearly all of that is the ORM preparing values, not
the database.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import random
import sys
import time
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import BigIntegerField, Max, Value
from django.db.models.functions import Cast, StrIndex, Substr
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from aizuchi.access.policy import Action, access_check
from aizuchi.billing.models import Payment
from aizuchi.billing.services import charges, holds, payments
from aizuchi.booking.services.bookings import booking_request
from aizuchi.booking.services.slots import slots_for
from aizuchi.crm.services.cards import card_update, note_add
from aizuchi.events.services.events import event_create
from aizuchi.events.services.registrations import event_register
from aizuchi.live.models import Session
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.services import (
    relationship_session_completed,
    relationship_session_requested,
)
from aizuchi.reputation.models import Review
from aizuchi.reputation.services.reviews import ratings_refresh
from aizuchi.site import demo, portraits, voices
from aizuchi.storefront.models import (
    BlogPost,
    Category,
    ConceptVersion,
    Offering,
    Provider,
    ProviderTag,
    SearchDocument,
    StandbyWindow,
)
from aizuchi.storefront.selectors import query as search
from aizuchi.storefront.services import media
from aizuchi.storefront.services import search as search_writes
from aizuchi.storefront.services.blog import render_markdown
from aizuchi.storefront.services.standby import WindowSpec, standby_plan_set

User = get_user_model()
ProviderCategory = Provider.categories.through


@dataclass
class Inserted:
    """Row counts per table, for the summary."""

    users: int = 0
    email_addresses: int = 0
    providers: int = 0
    provider_categories: int = 0
    offerings: int = 0
    tags: int = 0
    concept_versions: int = 0
    standby_windows: int = 0
    posts: int = 0
    search_documents: int = 0
    sessions: int = 0
    reviews: int = 0
    relationships: int = 0
    portraits: int = 0
    voice_samples: int = 0

    @property
    def total(self) -> int:
        # A voice sample is a file on the provider row, not a row of its own.
        return sum(
            getattr(self, name) for name in self.__dataclass_fields__ if name != "voice_samples"
        )


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


@contextlib.contextmanager
def _no_query_log() -> Iterator[None]:
    """Stop Django recording every SQL statement while DEBUG is on.

    With DEBUG=True (the dev settings) each cursor is a debug cursor that keeps the
    full SQL of every query in memory and, on SQLite, runs an extra `SELECT QUOTE(?)…`
    over all parameters to render it — megabytes per 5,000-row insert, kept for the
    last 9,000 queries. At 200,000 providers, turning it off halved peak memory
    (340 → 160 MB) and saved about a tenth of the time. Nothing else reads
    `connection.queries` during the command.
    """
    with override_settings(DEBUG=False):
        yield


class Command(BaseCommand):
    help = (
        "Create demo data: three fixed demo logins (always) and generated Japanese "
        "providers and customers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; the same seed gives the same data."
        )
        parser.add_argument(
            "--providers", type=_non_negative, default=40, help="Providers to add (default 40)."
        )
        parser.add_argument(
            "--customers", type=_non_negative, default=20, help="Customers to add (default 20)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has any user (used by `make run`).",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=5000,
            help="Users per bulk insert and transaction (default 5000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed: int = options["seed"]
        batch_size: int = options["batch_size"]

        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Users already exist; no demo data added (--if-empty).")
            demo_emails = [login.email for login in demo.DEMO_LOGINS]
            if User.objects.filter(email__in=demo_emails).exists():
                self._print_demo_logins()
            return

        category_ids = dict(Category.objects.values_list("slug", "id"))
        missing = set(demo.CATEGORY_SLUGS) - category_ids.keys()
        if missing:
            raise CommandError(
                f"Categories {sorted(missing)} are missing; run `manage.py migrate` first."
            )

        started = time.perf_counter()
        # One hash (deliberately slow with PBKDF2) shared by every demo user.
        password_hash = make_password(demo.DEMO_PASSWORD)
        # Spread "joined" dates back from the start of today (UTC): stable for a given
        # seed on a given day, and the catalogue still looks recent.
        anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        inserted = Inserted()

        with _no_query_log(), search_writes.bulk_indexing():
            self._ensure_demo_logins(password_hash, anchor, category_ids)

            first_provider = self._highest_number("p", seed) + 1
            first_customer = self._highest_number("c", seed) + 1
            # Customers first: the demo reviews are theirs.
            self._add_customers(
                inserted,
                demo.customers(seed, first_customer, options["customers"]),
                seed=seed,
                total=options["customers"],
                batch_size=batch_size,
                password_hash=password_hash,
                anchor=anchor,
            )
            reviewers = _reviewer_pool()
            _add_demo_reviews(inserted, reviewers, anchor)
            self._add_providers(
                inserted,
                demo.providers(seed, first_provider, options["providers"]),
                seed=seed,
                total=options["providers"],
                batch_size=batch_size,
                password_hash=password_hash,
                anchor=anchor,
                category_ids=category_ids,
                reviewers=reviewers,
            )

        elapsed = time.perf_counter() - started
        self._report(inserted, elapsed, seed, options, first_provider, first_customer)

    # --- Fixed demo logins --------------------------------------------------------------

    @transaction.atomic
    def _ensure_demo_logins(
        self, password_hash: str, anchor: datetime, category_ids: dict[str, int]
    ) -> None:
        users: dict[str, Any] = {}
        for login in demo.DEMO_LOGINS:
            user, created = User.objects.get_or_create(
                email=login.email,
                defaults={
                    "password": password_hash,
                    "display_name": login.display_name,
                    "is_staff": login.is_admin,
                    "is_superuser": login.is_admin,
                },
            )
            if not created:
                # Keep the published credentials working even if someone changed them
                # (or the hasher changed); check_password is one hash per account.
                changed = False
                if not user.check_password(demo.DEMO_PASSWORD):
                    user.password = password_hash
                    changed = True
                if not user.is_active or (
                    login.is_admin and not (user.is_staff and user.is_superuser)
                ):
                    user.is_active = True
                    if login.is_admin:
                        user.is_staff = user.is_superuser = True
                    changed = True
                if changed:
                    user.save()

            # allauth refuses logins without a verified address (mandatory verification).
            EmailAddress.objects.filter(user=user, primary=True).exclude(email=login.email).update(
                primary=False
            )
            EmailAddress.objects.update_or_create(
                user=user, email=login.email, defaults={"verified": True, "primary": True}
            )

            users[login.email] = user
            if login.storefront is not None:
                data = login.storefront
                provider, created = Provider.objects.get_or_create(
                    user=user,
                    defaults={
                        "display_name": data.display_name,
                        "concept": data.concept,
                        "description": data.description,
                        "accepts_newcomers": data.accepts_newcomers,
                        "rank": data.rank,
                        "recommend_score": data.recommend_score,
                        "price_from": data.price_from,
                        "presence_state": data.presence,
                        "created_at": anchor - timedelta(seconds=data.age_seconds),
                    },
                )
                if created:
                    provider.categories.set([category_ids[slug] for slug in data.category_slugs])
                    _add_storefront_rows(Inserted(), [provider], [data], anchor)
                    _add_media(Inserted(), [(f"login:{login.email}", provider, data)])
        _ensure_demo_money(users)

    # --- Bulk users -------------------------------------------------------------------------

    def _highest_number(self, kind: str, seed: int) -> int:
        """The largest n among existing `{kind}{seed}-{n}@demo…` addresses, or 0."""
        prefix = f"{kind}{seed}-"
        domain = "@" + demo.BULK_EMAIL_DOMAIN
        start = len(prefix) + 1  # SQL string positions are 1-based
        number = Substr("email", start, StrIndex("email", Value("@")) - start)
        result = User.objects.filter(
            email__startswith=prefix,
            email__endswith=domain,
            # Only well-formed numbers, so the cast below cannot fail on PostgreSQL.
            email__regex=r"^" + prefix + r"[0-9]+@" + domain[1:].replace(".", r"\.") + "$",
        ).aggregate(highest=Max(Cast(number, BigIntegerField())))
        return result["highest"] or 0

    def _progress(self, total: int, label: str) -> tqdm:
        return tqdm(
            total=total,
            desc=label,
            unit=" users",
            unit_scale=True,
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )

    def _add_providers(
        self,
        inserted: Inserted,
        records: Iterable[tuple[int, demo.ProviderData]],
        *,
        seed: int,
        total: int,
        batch_size: int,
        password_hash: str,
        anchor: datetime,
        category_ids: dict[str, int],
        reviewers: list[int],
    ) -> None:
        made = 0
        with self._progress(total, "providers") as bar:
            for batch in itertools.batched(records, batch_size):
                users = _new_users("p", seed, batch, password_hash, anchor)
                with transaction.atomic():
                    self._create(User, users, key="email")
                    self._add_email_addresses(users)
                    providers = [
                        _provider(user.pk, data, user.date_joined)
                        for user, (_n, data) in zip(users, batch, strict=True)
                    ]
                    self._create(Provider, providers, key="user_id")
                    links = [
                        ProviderCategory(provider_id=provider.pk, category_id=category_ids[slug])
                        for provider, (_n, data) in zip(providers, batch, strict=True)
                        for slug in data.category_slugs
                    ]
                    ProviderCategory.objects.bulk_create(links)
                    _add_storefront_rows(inserted, providers, [data for _n, data in batch], anchor)
                    _add_reviews(
                        inserted,
                        [
                            (n, provider.pk, data)
                            for provider, (n, data) in zip(providers, batch, strict=True)
                        ],
                        reviewers,
                        anchor,
                    )
                    with_media = [
                        (f"{seed}:{n}", provider, data)
                        for provider, (n, data) in list(zip(providers, batch, strict=True))[
                            : max(0, MEDIA_PER_RUN - made)
                        ]
                    ]
                    _add_media(inserted, with_media)
                made += len(batch)
                inserted.users += len(users)
                inserted.email_addresses += len(users)
                inserted.providers += len(providers)
                inserted.provider_categories += len(links)
                bar.update(len(batch))

    def _add_customers(
        self,
        inserted: Inserted,
        records: Iterable[tuple[int, demo.CustomerData]],
        *,
        seed: int,
        total: int,
        batch_size: int,
        password_hash: str,
        anchor: datetime,
    ) -> None:
        with self._progress(total, "customers") as bar:
            for batch in itertools.batched(records, batch_size):
                users = _new_users("c", seed, batch, password_hash, anchor)
                with transaction.atomic():
                    self._create(User, users, key="email")
                    self._add_email_addresses(users)
                inserted.users += len(users)
                inserted.email_addresses += len(users)
                bar.update(len(batch))

    def _add_email_addresses(self, users: list[Any]) -> None:
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user_id=user.pk, email=user.email, verified=True, primary=True)
                for user in users
            ]
        )

    def _create(self, model: type[models.Model], objs: list[Any], *, key: str) -> None:
        """bulk_create, making sure every object has its primary key afterwards.

        SQLite (3.35+) and PostgreSQL return the new ids from the INSERT itself
        (RETURNING), so bulk_create fills `pk` in. On a backend that cannot, the ids
        are read back in one query through a unique column (`key`).
        """
        model._default_manager.bulk_create(objs)
        if objs and objs[0].pk is None:
            values = [getattr(obj, key) for obj in objs]
            ids = dict(
                model._default_manager.filter(**{f"{key}__in": values}).values_list(key, "pk")
            )
            for obj in objs:
                obj.pk = ids[getattr(obj, key)]

    # --- Output -------------------------------------------------------------------------------

    def _report(
        self,
        inserted: Inserted,
        elapsed: float,
        seed: int,
        options: dict[str, Any],
        first_provider: int,
        first_customer: int,
    ) -> None:
        def span(kind: str, first: int, count: int) -> str:
            if not count:
                return "none"
            return f"{kind}{seed}-{first} … {kind}{seed}-{first + count - 1}"

        providers, customers = options["providers"], options["customers"]
        rate = inserted.total / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"Seed {seed}: {providers:,} providers ({span('p', first_provider, providers)}), "
            f"{customers:,} customers ({span('c', first_customer, customers)})."
        )
        self.stdout.write(
            f"Inserted {inserted.total:,} rows ({inserted.users:,} users, "
            f"{inserted.email_addresses:,} e-mail addresses, {inserted.providers:,} providers, "
            f"{inserted.provider_categories:,} provider categories, "
            f"{inserted.offerings:,} offerings, {inserted.tags:,} tags, "
            f"{inserted.concept_versions:,} concept versions, "
            f"{inserted.standby_windows:,} standby windows, "
            f"{inserted.posts:,} blog posts, {inserted.search_documents:,} search documents, "
            f"{inserted.sessions:,} past sessions, {inserted.reviews:,} reviews, "
            f"{inserted.relationships:,} relationships; {inserted.portraits:,} portraits, "
            f"{inserted.voice_samples:,} voice samples) "
            f"in {elapsed:.1f} s: {rate:,.0f} rows/s."
        )

        self._print_demo_logins()

    def _print_demo_logins(self) -> None:
        width = max(len(login.email) for login in demo.DEMO_LOGINS)
        rule = "─" * 60
        lines = [
            "",
            rule,
            "デモ用ログイン / Demo logins",
            f"  パスワード / Password: {demo.DEMO_PASSWORD}",
            "",
        ]
        for login in demo.DEMO_LOGINS:
            lines.append(f"  {login.email:<{width}}  {login.label_ja} / {login.label_en}")
        lines += [rule]
        self.stdout.write("\n".join(lines))


def _ensure_demo_money(users: dict[str, Any]) -> None:
    """The demo customer's story with the demo provider, told through the services once:
    points bought by bank transfer, a first voice call paid from points (10 minutes free),
    a postpaid chat whose invoice is open, and a booking for an appointment time."""
    customer = users[demo.DEMO_LOGINS[0].email]
    provider = Provider.objects.get(user=users[demo.DEMO_LOGINS[1].email])
    admin = users[demo.DEMO_LOGINS[2].email]
    if Payment.objects.filter(customer=customer).exists():
        return
    payment = payments.points_purchase_start(
        customer=customer, amount_yen=5000, gateway_code="manual", key="demo-points-0001"
    )
    payments.payment_confirm(user=admin, payment_id=payment.pk)
    now = timezone.now()
    for channel, minutes, days_ago in (("voice", 25, 12), ("chat", 40, 3)):
        offering = Offering.objects.get(provider=provider, channel=channel)
        ended = now - timedelta(days=days_ago)
        session = Session.objects.create(
            provider=provider,
            customer=customer,
            offering=offering,
            channel=channel,
            status=Session.Status.COMPLETED,
            requested_at=ended - timedelta(minutes=minutes + 1),
            started_at=ended - timedelta(minutes=minutes),
            ended_at=ended,
            billable_seconds=minutes * 60,
        )
        # The facts live records as a session goes, told here at once.
        relationship_session_requested(
            provider_id=provider.pk, customer_id=customer.pk, requested_at=session.requested_at
        )
        relationship_session_completed(provider_id=provider.pk, customer_id=customer.pk)
        check = access_check(
            customer=customer,
            provider=provider,
            action=Action.for_channel(channel),
            offering=offering,
        )
        hold = None
        if check.hold_yen:
            hold = holds.hold_place(
                customer=customer,
                amount_yen=check.hold_yen,
                provider=provider,
                reference=f"session:{session.pk}",
                key=f"demo-hold-{session.pk}",
            )
        charge = charges.session_charge(session=session, billable_seconds=minutes * 60, hold=hold)
        Session.objects.filter(pk=session.pk).update(charged_yen=charge.amount_yen)
    # The listener meets newcomers by reservation on Tuesdays, anyone booked on Thursdays
    # and Saturdays, and waits for callers late on Monday, Wednesday and Friday.
    standby_plan_set(
        provider=provider,
        windows=[
            *(WindowSpec(day, dt_time(22), 120) for day in (0, 2, 4)),
            WindowSpec(1, dt_time(20), 90, StandbyWindow.Kind.APPOINTMENT, newcomers_only=True),
            WindowSpec(3, dt_time(20), 120, StandbyWindow.Kind.APPOINTMENT),
            WindowSpec(5, dt_time(14), 120, StandbyWindow.Kind.APPOINTMENT),
        ],
    )
    chat = Offering.objects.get(provider=provider, channel="chat")
    free = slots_for(provider=provider, offering=chat, newcomer=False)
    if free:
        booking_request(
            customer=customer, offering_id=chat.pk, start=free[0].start, key="demo-booking-0001"
        )
    _ensure_demo_care(provider, customer, now)


def _ensure_demo_care(provider: Provider, customer, now: datetime) -> None:
    """What the listener keeps of the demo customer (a card with a tier and a note) and
    two events of hers: a tea party in person and a free online group talk the customer
    has joined."""
    card_update(
        provider=provider,
        customer_id=customer.pk,
        personality_model="functions",
        personality_type="F",
        style="consult",
        tier=2,
        tags="夜型, 仕事の話",
    )
    note_add(
        provider=provider,
        customer_id=customer.pk,
        text="職場の人間関係の相談。結論より、まず聞いてほしいタイプ。",
    )
    local = timezone.localtime(now, zoneinfo.ZoneInfo(provider.user.time_zone))
    common = {
        "description": "",
        "payment": "prepaid",
        "newcomer_seats": 0,
        "registration_closes_at": None,
        "cancel_free_hours": 24,
        "late_cancel_percent": 50,
        "offer_hold_hours": 12,
        "map_url": "",
        "meeting_point": "",
        "invite_reply": "",
    }
    tea = (local + timedelta(days=20)).replace(hour=14, minute=0, second=0, microsecond=0)
    event_create(
        user=provider.user,
        series_title="月例お茶会",
        fields={
            **common,
            "title": "12月のお茶会",
            "kind": "in_person",
            "starts_at": tea,
            "length_minutes": 90,
            "price_yen": 2000,
            "capacity": 6,
            "newcomer_seats": 2,
            "audience": "public",
            "place": "表参道のカフェ",
            "meeting_point": "表参道駅A2出口 13:50",
            "description": (
                "ゆっくりお茶を飲みながら、最近のことを話しましょう。"
                "はじめての方の席も2つあります。"
            ),
        },
    )
    talk = (local + timedelta(days=9)).replace(hour=21, minute=0, second=0, microsecond=0)
    online = event_create(
        user=provider.user,
        fields={
            **common,
            "title": "夜のオンライン座談会",
            "kind": "online",
            "starts_at": talk,
            "length_minutes": 60,
            "price_yen": 0,
            "capacity": 5,
            "audience": "public",
            "place": "",
            "description": "5人までの小さな座談会です。聞くだけの参加も歓迎します。",
        },
    )
    event_register(customer=customer, event_id=online.pk, key="demo-event-0001")


# Storefronts per run that get a drawn portrait and a voice sample (about 0.1 s of CPU
# each: drawing, the upload service's two WebP encodings, espeak-ng): every one of a demo
# catalogue (`make run` seeds 40, two pages of search results), the first few of a
# load-test one.
MEDIA_PER_RUN = 48


def _add_media(
    inserted: Inserted, storefronts: list[tuple[str, Provider, demo.ProviderData]]
) -> None:
    """A portrait-like illustration and a short voice sample for each storefront, through
    storefront's own upload services (checked and re-encoded as a provider's would be).
    Drawn from a random stream keyed by the storefront, so the same seed gives the same."""
    for key, provider, data in storefronts:
        rng = random.Random(f"aizuchi-demo:media:{key}")  # noqa: S311 — demo data
        picture = ContentFile(portraits.png(rng, data.gender), name="portrait.png")
        media.images_add(provider=provider, uploads=[picture])
        sound = ContentFile(voices.sample(rng, data.gender), name="voice.wav")
        media.voice_sample_set(provider=provider, upload=sound)
        inserted.portraits += 1
        inserted.voice_samples += 1


# How many bulk customers take turns writing the demo reviews.
REVIEWER_POOL = 5000


def _reviewer_pool() -> list[int]:
    """Ids of bulk demo customers (any seed), the authors of the demo reviews."""
    return list(
        User.objects.filter(email__startswith="c", email__endswith="@" + demo.BULK_EMAIL_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)[:REVIEWER_POOL]
    )


def _add_demo_reviews(inserted: Inserted, reviewers: list[int], anchor: datetime) -> None:
    """The fixed demo storefront's reviews, once (as soon as there are customers)."""
    for number, login in enumerate(demo.DEMO_LOGINS):
        if login.storefront is None:
            continue
        provider = Provider.objects.get(user__email=login.email)
        if not Review.objects.filter(provider=provider).exists():
            with transaction.atomic():
                _add_reviews(inserted, [(number, provider.pk, login.storefront)], reviewers, anchor)


def _add_reviews(
    inserted: Inserted,
    storefronts: list[tuple[int, int, demo.ProviderData]],
    reviewers: list[int],
    anchor: datetime,
) -> None:
    """Each review a real completed session and review row (reviewers take turns, chosen
    by the record number n), the relationship rows those sessions make, and the rating
    computed from the rows by reputation's refresh. Inside the caller's transaction."""
    if not reviewers:
        return
    offerings: dict[int, tuple[int, str]] = {}
    ids = [pk for _n, pk, data in storefronts if data.reviews]
    for provider_id, offering_id, channel in (
        Offering.objects.filter(provider_id__in=ids)
        .order_by("provider_id", "pk")
        .values_list("provider_id", "pk", "channel")
    ):
        offerings.setdefault(provider_id, (offering_id, channel))
    sessions, stars_texts = [], []
    pairs: dict[tuple[int, int], list[datetime]] = {}
    for n, provider_id, data in storefronts:
        if provider_id not in offerings:
            continue
        offering_id, channel = offerings[provider_id]
        for i, review in enumerate(data.reviews):
            customer_id = reviewers[(n * 7 + i * 13) % len(reviewers)]
            ended = anchor - timedelta(seconds=review.age_seconds)
            started = ended - timedelta(minutes=review.minutes)
            requested = started - timedelta(seconds=30)
            sessions.append(
                Session(
                    provider_id=provider_id,
                    customer_id=customer_id,
                    offering_id=offering_id,
                    channel=channel,
                    status=Session.Status.COMPLETED,
                    requested_at=requested,
                    accepted_at=started,
                    started_at=started,
                    ended_at=ended,
                    end_reason=Session.EndReason.CUSTOMER_HUNG_UP,
                    billable_seconds=review.minutes * 60,
                )
            )
            stars_texts.append((review, ended))
            pairs.setdefault((provider_id, customer_id), []).append(requested)
    last = Session.objects.aggregate(last=Max("pk"))["last"] or 0
    Session.objects.bulk_create(sessions)
    if sessions and sessions[0].pk is None:
        # A backend that cannot return ids (see Command._create): the seed is the only
        # writer, so the new rows are those after the last id, in insertion order.
        new_ids = Session.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)
        for session, pk in zip(sessions, new_ids, strict=True):
            session.pk = pk
    Review.objects.bulk_create(
        [
            Review(
                session_id=session.pk,
                provider_id=session.provider_id,
                customer_id=session.customer_id,
                stars=review.stars,
                text=review.text,
                created_at=ended + timedelta(minutes=5),
            )
            for session, (review, ended) in zip(sessions, stars_texts, strict=True)
        ]
    )
    Relationship.objects.bulk_create(
        [
            Relationship(
                provider_id=provider_id,
                customer_id=customer_id,
                first_contact_at=min(times),
                last_contact_at=max(times),
                sessions_completed=len(times),
                updated_at=anchor,
            )
            for (provider_id, customer_id), times in pairs.items()
        ]
    )
    ratings_refresh(provider_ids=sorted({session.provider_id for session in sessions}))
    inserted.sessions += len(sessions)
    inserted.reviews += len(sessions)
    inserted.relationships += len(pairs)


def _new_users(
    prefix: str,
    seed: int,
    batch: tuple[tuple[int, demo.ProviderData | demo.CustomerData], ...],
    password_hash: str,
    anchor: datetime,
) -> list[Any]:
    """Unsaved users for one batch of numbered records (``p``roviders or ``c``ustomers)."""
    return [
        User(
            email=f"{prefix}{seed}-{n}@{demo.BULK_EMAIL_DOMAIN}",
            password=password_hash,
            display_name=data.display_name,
            date_joined=anchor - timedelta(seconds=data.age_seconds),
        )
        for n, data in batch
    ]


def _provider(user_id: int, data: demo.ProviderData, created_at: datetime) -> Provider:
    return Provider(
        user_id=user_id,
        display_name=data.display_name,
        concept=data.concept,
        description=data.description,
        accepts_newcomers=data.accepts_newcomers,
        rank=data.rank,
        recommend_score=data.recommend_score,
        price_from=data.price_from,
        presence_state=data.presence,
        presence_after_session=data.presence if data.presence != "in_session" else "open",
        created_at=created_at,
        updated_at=created_at,
    )


# Typical standby habits: (start hour, minutes). Evenings and late nights dominate.
_STANDBY_HABITS = [(21, 180), (22, 120), (19, 150), (13, 120), (10, 90), (23, 120)]


def _standby_plan(provider_id: int) -> list[StandbyWindow]:
    """Two to five weekly windows, one per chosen weekday, so they never overlap."""
    hour, minutes = _STANDBY_HABITS[provider_id % len(_STANDBY_HABITS)]
    first = provider_id % 7
    days = sorted((first + offset) % 7 for offset in (0, 2, 4, 5, 6)[: 2 + provider_id % 4])
    return [
        StandbyWindow(
            provider_id=provider_id,
            weekday=day,
            start_time=dt_time(hour, 0),
            minutes=minutes,
            kind=StandbyWindow.Kind.APPOINTMENT
            if day == 5 and provider_id % 3 == 0
            else StandbyWindow.Kind.OPEN,
        )
        for day in days
    ]


@functools.lru_cache(maxsize=4096)  # demo posts repeat their sentences a lot
def _render(body: str) -> str:
    return render_markdown(body)


def _add_storefront_rows(
    inserted: Inserted,
    providers: list[Provider],
    records: list[demo.ProviderData],
    anchor: datetime,
) -> None:
    """Offerings, tags, concept version 1, blog posts and the search document.

    Providers must have their ids. The search documents are built here from the same
    data (no reading back); on SQLite the FTS5 triggers index them as they go in.
    """
    offerings, tags, concepts, posts, documents = [], [], [], [], []
    windows: list[StandbyWindow] = []
    for provider, data in zip(providers, records, strict=True):
        opened = provider.created_at
        offerings += [
            Offering(
                provider_id=provider.pk,
                channel=offer.channel,
                price_per_minute=offer.price_per_minute,
                first_free_minutes=offer.first_free_minutes,
                first_session_cap_minutes=offer.first_session_cap_minutes,
                payment=offer.payment,
                created_at=opened,
                updated_at=opened,
            )
            for offer in data.offerings
        ]
        tags += [ProviderTag(provider_id=provider.pk, name=name) for name in data.tags]
        concepts.append(
            ConceptVersion(provider_id=provider.pk, number=1, text=data.concept, started_at=opened)
        )
        windows += _standby_plan(provider.pk)
        published = [max(opened, anchor - timedelta(seconds=p.age_seconds)) for p in data.posts]
        posts += [
            BlogPost(
                provider_id=provider.pk,
                title=post.title,
                body=post.body,
                body_html=_render(post.body),
                is_published=True,
                published_at=when,
                created_at=when,
                updated_at=when,
            )
            for post, when in zip(data.posts, published, strict=True)
        ]
        text = search.document_text(
            provider, data.tags, [(post.title, post.body) for post in data.posts]
        )
        documents.append(
            SearchDocument(
                provider_id=provider.pk, text=search.normalize(text), grams=search.grams(text)
            )
        )
    Offering.objects.bulk_create(offerings)
    ProviderTag.objects.bulk_create(tags)
    ConceptVersion.objects.bulk_create(concepts)
    StandbyWindow.objects.bulk_create(windows)
    BlogPost.objects.bulk_create(posts)
    SearchDocument.objects.bulk_create(documents)
    inserted.offerings += len(offerings)
    inserted.tags += len(tags)
    inserted.concept_versions += len(concepts)
    inserted.standby_windows += len(windows)
    inserted.posts += len(posts)
    inserted.search_documents += len(documents)
