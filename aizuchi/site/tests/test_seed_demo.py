"""`manage.py seed_demo` and the demo data generator behind it (aizuchi.site.demo)."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from aizuchi.accounts.models import User
from aizuchi.site import demo
from aizuchi.storefront.models import Provider, StandbyWindow

Record = tuple[str, str, tuple[str, ...]]  # display_name, concept, category slugs


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # seed_demo draws portraits and voice samples into MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def number(email: str) -> int:
    """n of p7-n@demo.aizuchi.example."""
    return int(email.split("@")[0].split("-")[-1])


def seeded_providers(seed_value: int) -> list[Record]:
    """The storefronts seed_demo created for this seed, in the order of their numbers."""
    providers = (
        Provider.objects.filter(user__email__startswith=f"p{seed_value}-")
        .select_related("user")
        .prefetch_related("categories")
    )
    ordered = sorted(providers, key=lambda provider: number(provider.user.email))
    return [
        (p.display_name, p.concept, tuple(sorted(c.slug for c in p.categories.all())))
        for p in ordered
    ]


def generated_providers(seed_value: int, count: int, start: int = 1) -> list[Record]:
    """What demo.py produces for the same seed, without touching the database."""
    return [
        (data.display_name, data.concept, tuple(sorted(data.category_slugs)))
        for _n, data in demo.providers(seed_value, start, count)
    ]


def bulk_users(seed_value: int):
    return User.objects.filter(
        Q(email__startswith=f"p{seed_value}-") | Q(email__startswith=f"c{seed_value}-"),
        email__endswith="@" + demo.BULK_EMAIL_DOMAIN,
    )


# --- The generator ------------------------------------------------------------------------


def test_generator_is_deterministic_per_seed():
    assert generated_providers(7, 50) == generated_providers(7, 50)
    assert generated_providers(7, 50) != generated_providers(8, 50)
    # Record n does not depend on where a run starts (later runs continue the numbering).
    assert generated_providers(7, 20, start=31) == generated_providers(7, 50)[30:]
    customers = [data.display_name for _n, data in demo.customers(7, 1, 30)]
    assert customers == [data.display_name for _n, data in demo.customers(7, 1, 30)]
    assert customers != [data.display_name for _n, data in demo.customers(8, 1, 30)]


def test_generated_providers_fit_the_models_and_look_varied():
    records = [data for seed_value in (1, 2, 3) for _n, data in demo.providers(seed_value, 1, 700)]
    for data in records:
        assert 0 < len(data.display_name) <= demo.DISPLAY_NAME_MAX
        assert 0 < len(data.concept) <= demo.CONCEPT_MAX
        # A greeting with the name, then 2–4 sentences.
        assert data.description.startswith("はじめまして、")
        assert 3 <= data.description.count("。") <= 5, data.description
        assert 1 <= len(data.category_slugs) <= 3
        assert set(data.category_slugs) <= set(demo.CATEGORY_SLUGS)
        assert len(set(data.category_slugs)) == len(data.category_slugs)
        assert 0 <= data.age_seconds < demo.MAX_AGE_SECONDS
        assert not data.display_name.startswith(("f:", "m:"))
        assert not data.concept.startswith(("f:", "m:"))
    assert 0.7 < sum(data.accepts_newcomers for data in records) / len(records) < 0.95
    assert len({data.display_name for data in records}) > 500
    assert len({data.concept for data in records}) > 50
    assert {slug for data in records for slug in data.category_slugs} == set(demo.CATEGORY_SLUGS)


def test_make_provider_takes_any_random_instance():
    data = demo.make_provider(random.Random(42))  # noqa: S311
    assert data == demo.make_provider(random.Random(42))  # noqa: S311
    assert demo.make_customer_nickname(random.Random(1))  # noqa: S311


# --- The command ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_seeded_rows_match_the_generator_for_the_seed():
    seed("--seed", "7", "--providers", "30", "--customers", "5")
    assert seeded_providers(7) == generated_providers(7, 30)
    assert seeded_providers(7) != generated_providers(8, 30)

    nicknames = sorted(
        User.objects.filter(email__startswith="c7-").values_list("email", "display_name"),
        key=lambda row: number(row[0]),
    )
    assert [name for _email, name in nicknames] == [
        data.display_name for _n, data in demo.customers(7, 1, 5)
    ]


@pytest.mark.django_db
def test_counts_match_the_options():
    # A batch size smaller than the counts exercises several batches and transactions.
    output = seed("--seed", "7", "--providers", "12", "--customers", "5", "--batch-size", "5")

    users = bulk_users(7)
    assert users.count() == 17
    assert users.filter(email__startswith="p7-").count() == 12
    assert Provider.objects.filter(user__in=users).count() == 12
    addresses = EmailAddress.objects.filter(user__in=users)
    assert addresses.count() == 17
    assert addresses.filter(verified=True, primary=True).count() == 17
    links = Provider.categories.through.objects.filter(provider__user__in=users).count()
    assert links == sum(len(data.category_slugs) for _n, data in demo.providers(7, 1, 12))
    # Plus the three fixed demo logins, one of them with a storefront.
    assert User.objects.count() == 17 + 3
    assert Provider.objects.count() == 12 + 1

    records = [data for _n, data in demo.providers(7, 1, 12)]
    # Offerings, tags, concept version 1, posts and the search document (presence is a
    # column of the provider row).
    extras = sum(len(data.offerings) + len(data.tags) + 1 + len(data.posts) + 1 for data in records)
    windows = StandbyWindow.objects.filter(provider__user__in=users).count()
    assert 2 * 12 <= windows <= 5 * 12  # two to five a week each (one per weekday)
    # Past sessions with their reviews (the fixed storefront's too, its customers now
    # exist) and the relationship rows those sessions make.
    from aizuchi.relationships.models import Relationship
    from aizuchi.reputation.models import Review

    reviews = sum(len(data.reviews) for data in records)
    reviews += len(demo.DEMO_LOGINS[1].storefront.reviews)
    assert Review.objects.count() == reviews
    # The demo customer's own two sessions and her relationship are told, not counted.
    pairs = Relationship.objects.exclude(customer__email=demo.DEMO_LOGINS[0].email).count()
    # A portrait (a photo row) for each generated storefront.
    rows = 17 + 17 + 12 + links + extras + windows + 2 * reviews + pairs + 12
    assert f"Inserted {rows:,} rows" in output
    assert "rows/s" in output
    for login in demo.DEMO_LOGINS:
        assert login.email in output
    assert "aizuchi-demo" in output


@pytest.mark.django_db
def test_storefronts_were_opened_over_the_past_two_years():
    seed("--providers", "50", "--customers", "0")
    now = datetime.now(UTC)
    dates = list(Provider.objects.values_list("created_at", flat=True))
    assert all(date.tzinfo is not None for date in dates)
    assert all(now - timedelta(days=731) < date <= now for date in dates)
    assert max(dates) - min(dates) > timedelta(days=365)


@pytest.mark.django_db
def test_demo_logins_can_log_in():
    seed("--providers", "0", "--customers", "0")
    for login in demo.DEMO_LOGINS:
        user = User.objects.get(email=login.email)
        assert Client().login(email=login.email, password=demo.DEMO_PASSWORD), login.email
        address = EmailAddress.objects.get(user=user)
        assert (address.email, address.verified, address.primary) == (login.email, True, True)

        # The real login page, where allauth enforces e-mail verification.
        client = Client()
        response = client.post(
            reverse("account_login"), {"login": login.email, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert response.url != reverse("account_email_verification_sent")
        assert client.session["_auth_user_id"] == str(user.pk)

    admin = User.objects.get(email="admin@aizuchi.example")
    assert admin.is_staff
    assert admin.is_superuser
    customer = User.objects.get(email="customer@aizuchi.example")
    assert not customer.is_staff
    assert not hasattr(customer, "provider")
    storefront = Provider.objects.get(user__email="provider@aizuchi.example")
    assert storefront.display_name == "聞き上手のはるか"
    assert "keicho" in {category.slug for category in storefront.categories.all()}
    # Her customer card of the demo customer, and her two events (the customer has
    # joined the online one): what the provider's area and the customer's pages show.
    from aizuchi.crm.models import Card
    from aizuchi.events.models import Event, Registration

    card = Card.objects.get(relationship__provider=storefront, relationship__customer=customer)
    assert card.tier == 2
    assert card.notes.count() == 1
    assert set(Event.objects.filter(provider=storefront).values_list("kind", flat=True)) == {
        "in_person",
        "online",
    }
    assert Registration.objects.get(customer=customer).state == "confirmed"


@pytest.mark.django_db
def test_demo_logins_are_repaired_not_duplicated_on_a_second_run():
    seed("--providers", "0", "--customers", "0")
    customer = User.objects.get(email="customer@aizuchi.example")
    customer.set_password("something-else")
    customer.save()

    seed("--providers", "0", "--customers", "0")
    assert User.objects.count() == 3
    assert EmailAddress.objects.count() == 3
    assert Provider.objects.count() == 1
    assert Client().login(email="customer@aizuchi.example", password=demo.DEMO_PASSWORD)


@pytest.mark.django_db
def test_if_empty_does_nothing_when_a_user_exists(user):
    output = seed("--if-empty", "--providers", "5")
    assert "--if-empty" in output
    assert list(User.objects.all()) == [user]
    assert not Provider.objects.exists()
    assert "Demo logins" not in output  # no demo accounts to point at


@pytest.mark.django_db
def test_if_empty_on_a_seeded_database_still_prints_the_demo_logins():
    seed("--providers", "2", "--customers", "1")
    before = User.objects.count()
    output = seed("--if-empty", "--providers", "5")
    assert User.objects.count() == before
    assert "Demo logins" in output
    assert "customer@aizuchi.example" in output


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_database():
    seed("--if-empty", "--providers", "4", "--customers", "2")
    assert User.objects.count() == 4 + 2 + 3


@pytest.mark.django_db
def test_a_second_run_with_the_same_seed_adds_more():
    seed("--seed", "3", "--providers", "5", "--customers", "2")
    seed("--seed", "3", "--providers", "5", "--customers", "2")

    emails = set(bulk_users(3).values_list("email", flat=True))
    domain = demo.BULK_EMAIL_DOMAIN
    assert emails == {f"p3-{n}@{domain}" for n in range(1, 11)} | {
        f"c3-{n}@{domain}" for n in range(1, 5)
    }
    # Providers 6–10 are the next records of seed 3, not a repeat of 1–5.
    assert seeded_providers(3) == generated_providers(3, 10)
    assert User.objects.count() == 14 + 3

    # Another seed numbers its own users from 1.
    seed("--seed", "4", "--providers", "2", "--customers", "0")
    assert set(bulk_users(4).values_list("email", flat=True)) == {
        f"p4-1@{domain}",
        f"p4-2@{domain}",
    }


@pytest.mark.django_db
def test_works_on_a_backend_that_cannot_return_ids_from_bulk_inserts(monkeypatch):
    # SQLite 3.35+ and PostgreSQL return the ids; the command then reads them back.
    from django.db import connection

    monkeypatch.setattr(connection.features, "can_return_rows_from_bulk_insert", False)
    seed("--seed", "5", "--providers", "6", "--customers", "1", "--batch-size", "4")
    assert seeded_providers(5) == generated_providers(5, 6)
    assert EmailAddress.objects.filter(user__in=bulk_users(5), verified=True).count() == 7


# --- Portraits and voice samples ----------------------------------------------------------


@pytest.mark.django_db
def test_demo_storefronts_have_a_portrait_and_a_voice_sample():
    from PIL import Image

    from aizuchi.storefront.models import ProviderImage

    seed("--seed", "8", "--providers", "6", "--customers", "0")
    providers = list(Provider.objects.order_by("pk"))
    assert len(providers) == 7
    digests = set()
    for provider in providers:
        photo = ProviderImage.objects.get(provider=provider)
        with Image.open(photo.image.path) as im:
            assert im.format == "WEBP"
            assert im.size == (480, 480)
            colours = len(im.convert("RGB").resize((48, 48)).getcolors(4096) or [])
            assert colours > 20  # a picture, not a flat square
        digests.add(photo.image.read())
        assert provider.voice_sample_type == "audio/wav"
        assert provider.voice_sample.size > 10_000
    assert len(digests) == 7  # every storefront its own face
    # The listing shows the faces, not initials.
    listing = Client().get(reverse("storefront:index")).content.decode()
    assert listing.count('class="avatar avatar-photo"') == 7


def test_portraits_and_voices_are_deterministic():
    from aizuchi.site import portraits, voices

    def rng(key: str) -> random.Random:
        return random.Random(key)  # noqa: S311

    assert portraits.png(rng("a"), "f") == portraits.png(rng("a"), "f")
    assert portraits.png(rng("a"), "f") != portraits.png(rng("b"), "f")
    assert voices.sample(rng("a"), "m") == voices.sample(rng("a"), "m")
    assert voices.chime()[:4] == b"RIFF"


def test_names_texts_and_tags_of_a_demo_catalogue_do_not_repeat():
    records = [data for _n, data in demo.providers(1, 1, 90)]
    assert len({data.display_name for data in records}) == 90
    assert len({data.description for data in records}) == 90
    categories = {row[0]: row[1] for row in demo.DEFAULT_CATEGORIES}
    for data in records:
        shown = {categories[slug] for slug in data.category_slugs}
        assert not shown & set(data.tags)
        assert not any(tag.startswith("#") for tag in data.tags)
    listener = demo.DEMO_LOGINS[1].storefront
    assert listener.display_name not in {data.display_name for data in records}


# --- Reviews: the rating shown is the review rows ------------------------------------------


@pytest.mark.django_db
def test_every_rating_equals_its_review_rows():
    from django.db.models import Avg, Count

    from aizuchi.live.models import Session
    from aizuchi.reputation.models import Review

    seed("--seed", "6", "--providers", "30", "--customers", "8", "--batch-size", "11")
    providers = Provider.objects.all()
    rated = 0
    for provider in providers:
        figures = Review.objects.filter(provider=provider).aggregate(
            avg=Avg("stars"), count=Count("id")
        )
        assert provider.rating_count == figures["count"]
        if figures["count"]:
            rated += 1
            assert abs(float(provider.rating_avg) - figures["avg"]) < 0.005
        else:
            assert provider.rating_avg == 0
    assert rated > 10
    # The fixed demo storefront too: its page shows the reviews its rating counts.
    listener = Provider.objects.get(user__email=demo.DEMO_LOGINS[1].email)
    assert listener.rating_count == len(demo.DEMO_LOGINS[1].storefront.reviews)
    # Each review is a completed session of a demo customer with that storefront.
    for review in Review.objects.select_related("session"):
        assert review.session.status == Session.Status.COMPLETED
        assert review.session.provider_id == review.provider_id
        assert review.session.customer_id == review.customer_id
        assert review.session.ended_at < review.created_at
    response = Client().get(reverse("storefront:detail", args=[listener.pk]))
    text = response.content.decode()
    assert "最後まで否定せずに聞いてもらえて" in text


@pytest.mark.django_db
def test_the_relationship_rows_equal_a_rebuild_from_the_seeded_sessions():
    from aizuchi.relationships.models import Relationship

    seed("--seed", "6", "--providers", "12", "--customers", "4")
    fields = ("provider_id", "customer_id", "first_contact_at", "last_contact_at")
    fields += ("sessions_completed", "sessions_billed", "spent_yen")
    before = sorted(Relationship.objects.values_list(*fields))
    assert len(before) > 5
    call_command("relationships_rebuild", stdout=io.StringIO())
    assert sorted(Relationship.objects.values_list(*fields)) == before


# --- Storefront rows: offerings, tags, concept, presence, blog, search --------------------------


def test_generated_storefronts_have_realistic_offerings_and_standing():
    records = [data for _n, data in demo.providers(2, 1, 3000)]
    offerings = [offer for data in records for offer in data.offerings]
    assert all(1 <= len(data.offerings) <= 2 for data in records)
    assert 1.8 < len(offerings) / len(records) <= 2  # 200,000 providers ≈ 400,000 offerings
    assert all(len({o.channel for o in data.offerings}) == len(data.offerings) for data in records)
    assert all(40 <= offer.price_per_minute <= 300 for offer in offerings)
    assert 0.1 < sum(offer.first_free_minutes > 0 for offer in offerings) / len(offerings) < 0.5
    assert all(0 <= len(data.tags) <= 3 for data in records)
    assert all(len(set(data.tags)) == len(data.tags) for data in records)
    assert all(
        data.price_from == min(o.price_per_minute for o in data.offerings) for data in records
    )
    presences = [data.presence for data in records]
    assert 0.75 < presences.count("offline") / len(records) < 0.92
    assert {"open", "appointment", "in_session"} <= set(presences)
    ranks = [data.rank for data in records]
    assert ranks.count(0) > ranks.count(1) > ranks.count(2) > ranks.count(3) > ranks.count(4) > 0
    rated = [data for data in records if data.reviews]
    assert 0.5 < len(rated) / len(records) < 0.9
    assert all(len(data.reviews) <= demo.MAX_REVIEWS for data in records)
    reviews = [review for data in rated for review in data.reviews]
    assert all(1 <= review.stars <= 5 for review in reviews)
    assert 4.0 < sum(review.stars for review in reviews) / len(reviews) < 4.7
    assert all(
        0 < review.age_seconds < max(3601, data.age_seconds + 1)
        for data in rated
        for review in data.reviews
    )
    with_posts = [data for data in records if data.posts]
    assert 0.1 < len(with_posts) / len(records) < 0.3
    for data in with_posts:
        for post in data.posts:
            assert 0 < len(post.title) <= 100
            assert post.body.count("。") >= 4
    assert len({post.body for data in with_posts for post in data.posts}) > 200


@pytest.mark.django_db
def test_seeded_storefronts_are_complete_and_searchable():
    from aizuchi.storefront.models import (
        BlogPost,
        ConceptVersion,
        Offering,
        ProviderTag,
        SearchDocument,
    )
    from aizuchi.storefront.selectors import provider_search
    from aizuchi.storefront.services import search as search_writes

    seed("--seed", "9", "--providers", "40", "--customers", "0", "--batch-size", "15")
    records = dict(demo.providers(9, 1, 40))
    providers = Provider.objects.filter(user__email__startswith="p9-").select_related("user")
    assert providers.count() == 40
    for provider in providers:
        data = records[number(provider.user.email)]
        offers = Offering.objects.filter(provider=provider)
        assert sorted((o.channel, o.price_per_minute) for o in offers) == sorted(
            (o.channel, o.price_per_minute) for o in data.offerings
        )
        assert provider.price_from == data.price_from
        assert provider.rank == data.rank
        assert set(
            ProviderTag.objects.filter(provider=provider).values_list("name", flat=True)
        ) == (set(data.tags))
        concept = ConceptVersion.objects.get(provider=provider)
        assert (concept.number, concept.text) == (1, provider.concept)
        assert Provider.objects.get(pk=provider.pk).presence_state == data.presence
        assert BlogPost.objects.filter(provider=provider, is_published=True).count() == len(
            data.posts
        )
        document = SearchDocument.objects.get(provider=provider)
        # The bulk-built document is what search_document_refresh would write.
        search_writes.search_document_refresh(provider_id=provider.pk)
        assert SearchDocument.objects.get(provider=provider).grams == document.grams

    # The demo login's storefront is complete too, and found by a two-character word.
    harumi = Provider.objects.get(user__email="provider@aizuchi.example")
    assert Offering.objects.filter(provider=harumi).count() == 2
    assert harumi.price_from == 80
    found = provider_search(query="傾聴", page_size=100).providers
    assert harumi in found
    tagged = {data.display_name for data in records.values() if "傾聴" in data.tags}
    assert tagged <= {provider.display_name for provider in found}
