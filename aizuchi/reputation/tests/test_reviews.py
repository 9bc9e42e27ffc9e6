"""Reviews: who may write, reply, report and hide, the limits, and the cached aggregate."""

from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.live.models import Session
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.notifications.models import Notification
from aizuchi.reputation.models import Review, ReviewReport
from aizuchi.reputation.selectors import reviews as review_reads
from aizuchi.reputation.services import reviews
from aizuchi.storefront.models import Provider
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return SessionFactory(completed=True)


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def _review(session, stars=4, text="よく聞いてくれました"):
    return reviews.review_create(
        user=session.customer, session_id=session.pk, stars=stars, text=text
    )


def _cached(provider_id):
    p = Provider.objects.get(pk=provider_id)
    return p.rating_avg, p.rating_count


# --- writing ----------------------------------------------------------------------------------


def test_customer_reviews_a_completed_session_and_the_provider_hears_of_it(session):
    review = _review(session, stars=4)
    assert (review.provider_id, review.customer_id, review.stars) == (
        session.provider_id,
        session.customer_id,
        4,
    )
    assert _cached(session.provider_id) == (Decimal("4.00"), 1)
    note = Notification.objects.get(user=session.provider.user)
    assert note.kind == "review_received"
    assert note.params["stars"] == 4


@pytest.mark.parametrize("status", ["requested", "active", "declined", "missed", "cancelled"])
def test_only_completed_sessions_can_be_reviewed(status):
    s = SessionFactory(status=status)
    with pytest.raises(NotFound):
        _review(s)
    assert not Review.objects.exists()


def test_someone_else_cannot_review_the_session(session, other_user):
    with pytest.raises(NotFound):
        reviews.review_create(user=other_user, session_id=session.pk, stars=5)
    with pytest.raises(NotFound):
        reviews.review_create(user=session.customer, session_id=999999, stars=5)
    assert not Review.objects.exists()


@pytest.mark.parametrize("stars", [0, 6, -1, "x", None, "", 4.5, "4.5", True])
def test_stars_out_of_range_is_a_field_error_and_nothing_is_saved(session, stars):
    with pytest.raises(InvalidInput) as exc:
        _review(session, stars=stars)
    assert list(exc.value.errors) == ["stars"]
    assert not Review.objects.exists()
    assert _cached(session.provider_id) == (Decimal("0"), 0)


@pytest.mark.parametrize("stars", [1, 5, "3"])
def test_stars_within_range_are_accepted(session, stars):
    assert _review(session, stars=stars).stars == int(stars)


def test_text_up_to_2000_characters(session):
    with pytest.raises(InvalidInput) as exc:
        _review(session, text="あ" * 2001)
    assert list(exc.value.errors) == ["text"]
    assert not Review.objects.exists()
    assert len(_review(session, text="あ" * 2000).text) == 2000


def test_one_review_per_session(session):
    _review(session)
    with pytest.raises(Conflict) as exc:
        _review(session, stars=1)
    assert exc.value.code == "already_reviewed"
    assert Review.objects.get().stars == 4


@pytest.mark.django_db(transaction=True)
def test_racing_reviews_of_one_session_give_one_review_and_one_conflict():
    session = SessionFactory(completed=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(stars):
        try:
            barrier.wait()
            _review(session, stars=stars)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Review.objects.count() == 1
    assert _cached(session.provider_id)[1] == 1


# --- replies ----------------------------------------------------------------------------------


def test_the_provider_replies_once_and_the_customer_hears_of_it(session):
    review = _review(session)
    reply = reviews.review_reply(
        user=session.provider.user, review_id=review.pk, text=" ありがとう "
    )
    assert reply.reply == "ありがとう"
    review.refresh_from_db()
    assert review.reply == "ありがとう"
    assert review.replied_at is not None
    assert Notification.objects.filter(user=session.customer, kind="review_replied").count() == 1
    with pytest.raises(Conflict):
        reviews.review_reply(user=session.provider.user, review_id=review.pk, text="もう一度")
    review.refresh_from_db()
    assert review.reply == "ありがとう"


def test_only_the_reviewed_provider_may_reply(session):
    review = _review(session)
    other_provider = ProviderFactory()
    for user in (other_provider.user, session.customer):
        with pytest.raises(NotFound):
            reviews.review_reply(user=user, review_id=review.pk, text="なりすまし")
    review.refresh_from_db()
    assert review.reply == ""


@pytest.mark.parametrize("text", ["", "   ", "あ" * 2001])
def test_reply_must_be_1_to_2000_characters(session, text):
    review = _review(session)
    with pytest.raises(InvalidInput) as exc:
        reviews.review_reply(user=session.provider.user, review_id=review.pk, text=text)
    assert list(exc.value.errors) == ["reply"]
    review.refresh_from_db()
    assert review.reply == ""
    assert review.replied_at is None


# --- reports and moderation -------------------------------------------------------------------


def test_anyone_signed_in_reports_once(session, other_user):
    review = _review(session)
    reviews.review_report(user=other_user, review_id=review.pk, reason="個人情報が書かれています")
    with pytest.raises(Conflict):
        reviews.review_report(user=other_user, review_id=review.pk, reason="もう一度")
    reviews.review_report(user=UserFactory(), review_id=review.pk, reason="同じく")
    assert ReviewReport.objects.filter(review=review).count() == 2


@pytest.mark.parametrize("reason", ["", "  ", "あ" * 501])
def test_report_reason_is_required_and_at_most_500(session, other_user, reason):
    review = _review(session)
    with pytest.raises(InvalidInput) as exc:
        reviews.review_report(user=other_user, review_id=review.pk, reason=reason)
    assert list(exc.value.errors) == ["reason"]
    assert not ReviewReport.objects.exists()


def test_non_staff_cannot_hide_or_unhide(session, other_user):
    review = _review(session)
    for user in (other_user, session.provider.user, session.customer):
        with pytest.raises(NotFound):
            reviews.review_hide(user=user, review_id=review.pk, reason="不適切")
    review.refresh_from_db()
    assert review.hidden_at is None
    assert _cached(session.provider_id) == (Decimal("4.00"), 1)


def test_staff_hide_takes_the_review_out_of_the_aggregate_and_resolves_reports(
    session, staff, other_user
):
    kept = _review(SessionFactory(completed=True, provider=session.provider), stars=2)
    review = _review(session, stars=5)
    assert _cached(session.provider_id) == (Decimal("3.50"), 2)
    reviews.review_report(user=other_user, review_id=review.pk, reason="宣伝です")

    reviews.review_hide(user=staff, review_id=review.pk, reason="宣伝のため")
    review.refresh_from_db()
    assert review.hidden_at is not None
    assert review.hidden_by == staff
    assert review.hidden_reason == "宣伝のため"
    assert _cached(session.provider_id) == (Decimal("2.00"), 1)
    assert not ReviewReport.objects.filter(resolved_at__isnull=True).exists()
    assert list(review_reads.reviews_visible(provider_id=session.provider_id)) == [kept]
    assert LogEntry.objects.filter(object_id=str(review.pk), user=staff).count() == 1
    # A hidden review cannot be reported any more, and hiding twice is refused.
    with pytest.raises(NotFound):
        reviews.review_report(user=UserFactory(), review_id=review.pk, reason="x")
    with pytest.raises(Conflict):
        reviews.review_hide(user=staff, review_id=review.pk, reason="again")

    reviews.review_unhide(user=staff, review_id=review.pk, reason="誤りでした")
    review.refresh_from_db()
    assert review.hidden_at is None
    assert review.hidden_reason == ""
    assert _cached(session.provider_id) == (Decimal("3.50"), 2)
    with pytest.raises(Conflict):
        reviews.review_unhide(user=staff, review_id=review.pk, reason="again")


@pytest.mark.parametrize("reason", ["", "あ" * 201])
def test_hiding_needs_a_reason_of_at_most_200(session, staff, reason):
    review = _review(session)
    with pytest.raises(InvalidInput) as exc:
        reviews.review_hide(user=staff, review_id=review.pk, reason=reason)
    assert list(exc.value.errors) == ["reason"]
    review.refresh_from_db()
    assert review.hidden_at is None


def test_resolving_reports_keeps_the_review_shown(session, staff, other_user):
    review = _review(session)
    reviews.review_report(user=other_user, review_id=review.pk, reason="違和感")
    assert list(review_reads.reviews_reported()) == [review]
    assert reviews.review_reports_resolve(user=staff, review_id=review.pk) == 1
    assert list(review_reads.reviews_reported()) == []
    review.refresh_from_db()
    assert review.hidden_at is None
    with pytest.raises(NotFound):
        reviews.review_reports_resolve(user=other_user, review_id=review.pk)


def test_distribution_counts_visible_reviews_per_star(session, staff):
    provider = session.provider
    for stars in (5, 5, 4, 1):
        _review(SessionFactory(completed=True, provider=provider), stars=stars)
    hidden = _review(session, stars=3)
    reviews.review_hide(user=staff, review_id=hidden.pk, reason="spam")
    bars = review_reads.rating_distribution(provider_id=provider.pk)
    assert [(b.stars, b.count, b.percent) for b in bars] == [
        (5, 2, 50),
        (4, 1, 25),
        (3, 0, 0),
        (2, 0, 0),
        (1, 1, 25),
    ]


# --- the aggregate stays equal to a fresh computation -----------------------------------------

ops = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(1, 5)),
        st.tuples(st.just("hide"), st.integers(0, 20)),
        st.tuples(st.just("unhide"), st.integers(0, 20)),
    ),
    max_size=15,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=ops)
def test_cached_rating_equals_a_fresh_computation_after_any_sequence(ops, staff):
    with transaction.atomic():
        provider = ProviderFactory()
        made: list[Review] = []
        for op, arg in ops:
            if op == "create":
                s = SessionFactory(completed=True, provider=provider)
                made.append(_review(s, stars=arg))
            elif made:
                review = made[arg % len(made)]
                service = reviews.review_hide if op == "hide" else reviews.review_unhide
                with contextlib.suppress(Conflict):
                    service(user=staff, review_id=review.pk, reason="hypothesis")
            fresh = reviews.rating_compute(provider_id=provider.pk)
            assert _cached(provider.pk) == fresh
            visible = [r.stars for r in Review.objects.filter(provider=provider, hidden_at=None)]
            expected = (
                Decimal(sum(visible) / len(visible)).quantize(Decimal("0.01")) if visible else 0
            )
            assert fresh[1] == len(visible)
            assert abs(fresh[0] - Decimal(expected)) <= Decimal("0.01")
        transaction.set_rollback(True)


def test_completed_session_factory_has_times_and_charge():
    s = SessionFactory(completed=True)
    assert s.status == Session.Status.COMPLETED
    assert s.started_at < s.ended_at
    assert s.charged_yen > 0
