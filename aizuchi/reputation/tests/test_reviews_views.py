"""Review pages: write, read, reply, report, moderate — status codes, what shows, who may."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.live.tests.factories import SessionFactory
from aizuchi.reputation.models import Review, ReviewReport
from aizuchi.reputation.services import reviews
from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return SessionFactory(completed=True)


def _review(session, stars=4, text="落ち着いて話せました"):
    return reviews.review_create(
        user=session.customer, session_id=session.pk, stars=stars, text=text
    )


def _stars_label(value) -> str:
    with translation.override("ja"):
        return gettext("%(value)s out of 5") % {"value": value}


# --- write a review ---------------------------------------------------------------------------


def test_the_customer_writes_a_review_for_their_completed_session(client, session):
    client.force_login(session.customer)
    url = reverse("reputation:review_new", args=[session.pk])
    assert url == f"/providers/reviews/new/{session.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    assert f'aria-label="{_stars_label(5)}"' in page.content.decode()

    response = client.post(url, {"stars": "5", "text": "また話したいです"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reputation:reviews", args=[session.provider_id])
    review = Review.objects.get()
    assert (review.stars, review.text) == (5, "また話したいです")
    # A second visit shows the review instead of the form; a second post changes nothing.
    again = client.post(url, {"stars": "1", "text": "x"})
    assert again.status_code == 200
    assert Review.objects.get().stars == 5


@pytest.mark.parametrize(
    "data",
    [{"stars": "0"}, {"stars": "6"}, {"stars": "abc"}, {}, {"stars": "3", "text": "あ" * 2001}],
)
def test_bad_review_input_is_400_with_a_field_error_and_nothing_saved(client, session, data):
    client.force_login(session.customer)
    response = client.post(reverse("reputation:review_new", args=[session.pk]), data)
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not Review.objects.exists()


def test_write_page_is_404_for_others_and_unfinished_sessions(client, session, other_user):
    client.force_login(other_user)
    assert client.get(reverse("reputation:review_new", args=[session.pk])).status_code == 404
    assert (
        client.post(reverse("reputation:review_new", args=[session.pk]), {"stars": "5"})
    ).status_code == 404
    ringing = SessionFactory(customer=other_user)
    assert client.get(reverse("reputation:review_new", args=[ringing.pk])).status_code == 404
    assert not Review.objects.exists()


def test_write_page_needs_sign_in(client, session):
    response = client.get(reverse("reputation:review_new", args=[session.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- public pages -----------------------------------------------------------------------------


def test_public_list_shows_visible_reviews_with_distribution_and_pages(client, session):
    provider = session.provider
    for n in range(12):
        _review(SessionFactory(completed=True, provider=provider), stars=5, text=f"感想{n:02d}")
    hidden = _review(session, stars=1, text="隠されるべき文")
    reviews.review_hide(user=UserFactory(is_staff=True), review_id=hidden.pk, reason="spam")

    url = reverse("reputation:reviews", args=[provider.pk])
    assert url == f"/providers/{provider.pk}/reviews/"
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert "感想11" in first
    assert "感想00" not in first
    assert "感想00" in second
    assert "隠されるべき文" not in first + second
    assert 'value="100"' in first  # 5★ bar: 12 of 12 visible reviews
    assert "5.00" in first
    assert client.get(url, {"page": "nonsense"}).status_code == 200
    assert client.get(reverse("reputation:reviews", args=[999999])).status_code == 404


def test_provider_page_shows_latest_five_replies_and_report_only_when_signed_in(
    client, session, other_user
):
    provider = session.provider
    for n in range(6):
        _review(SessionFactory(completed=True, provider=provider), stars=4, text=f"声{n}")
    latest = Review.objects.order_by("-created_at", "-id").first()
    reviews.review_reply(user=provider.user, review_id=latest.pk, text="ありがとうございます")

    detail = reverse("storefront:detail", args=[provider.pk])
    page = client.get(detail).content.decode()
    assert "声5" in page
    assert "声0" not in page  # only the latest five
    assert "ありがとうございます" in page
    assert reverse("reputation:reviews", args=[provider.pk]) in page
    assert f'aria-label="{_stars_label(4)}"' in page
    assert reverse("reputation:review_report", args=[latest.pk]) not in page

    client.force_login(other_user)
    page = client.get(detail).content.decode()
    assert reverse("reputation:review_report", args=[latest.pk]) in page


def test_report_from_the_page_once_then_409(client, session, other_user):
    review = _review(session)
    client.force_login(other_user)
    url = reverse("reputation:review_report", args=[review.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "あ" * 501}).status_code == 400
    assert not ReviewReport.objects.exists()
    assert client.post(url, {"reason": "関係のない宣伝"}).status_code == 302
    assert client.post(url, {"reason": "もう一度"}).status_code == 409
    assert ReviewReport.objects.get().reason == "関係のない宣伝"
    page = client.get(reverse("reputation:reviews", args=[session.provider_id])).content.decode()
    assert url not in page  # already reported: no second button


def test_report_needs_sign_in(client, session):
    review = _review(session)
    response = client.post(reverse("reputation:review_report", args=[review.pk]), {"reason": "x"})
    assert response.status_code == 302
    assert not ReviewReport.objects.exists()


# --- the provider's area ----------------------------------------------------------------------


def test_provider_sees_their_reviews_and_replies_once(client, session):
    review = _review(session)
    client.force_login(session.provider.user)
    url = reverse("reputation:manage_reviews")
    assert url == "/providers/me/reviews/"
    page = client.get(url)
    assert page.status_code == 200
    assert "落ち着いて話せました" in page.content.decode()

    reply_url = reverse("reputation:manage_review_reply", args=[review.pk])
    bad = client.post(reply_url, {f"r{review.pk}-reply": ""})
    assert bad.status_code == 400
    assert 'class="field-error"' in bad.content.decode()
    ok = client.post(reply_url, {f"r{review.pk}-reply": "こちらこそ"})
    assert ok.status_code == 302
    again = client.post(reply_url, {f"r{review.pk}-reply": "二度目"})
    assert again.status_code == 409
    review.refresh_from_db()
    assert review.reply == "こちらこそ"


def test_provider_cannot_reply_to_another_providers_review(client, session):
    review = _review(session)
    other = ProviderFactory()
    client.force_login(other.user)
    reply_url = reverse("reputation:manage_review_reply", args=[review.pk])
    assert client.post(reply_url, {f"r{review.pk}-reply": "横から"}).status_code == 404
    assert client.post(reply_url, {f"r{review.pk}-reply": ""}).status_code == 404
    review.refresh_from_db()
    assert review.reply == ""
    assert (
        "落ち着いて話せました"
        not in client.get(reverse("reputation:manage_reviews")).content.decode()
    )


# --- moderation -------------------------------------------------------------------------------


def test_moderation_is_staff_only(client, session, other_user):
    review = _review(session)
    url = reverse("reputation:review_moderation")
    assert url == "/providers/reviews/moderation/"
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    hide = reverse("reputation:review_hide", args=[review.pk])
    assert client.post(hide, {f"m{review.pk}-reason": "x"}).status_code == 404
    review.refresh_from_db()
    assert review.hidden_at is None


def test_staff_see_reports_with_reasons_hide_unhide_and_resolve(client, session, other_user):
    review = _review(session, stars=2)
    reviews.review_report(user=other_user, review_id=review.pk, reason="電話番号が書いてある")
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    url = reverse("reputation:review_moderation")
    page = client.get(url).content.decode()
    assert "電話番号が書いてある" in page

    hide = reverse("reputation:review_hide", args=[review.pk])
    assert client.post(hide, {f"m{review.pk}-reason": ""}).status_code == 400
    assert client.post(hide, {f"m{review.pk}-reason": "個人情報"}).status_code == 302
    review.refresh_from_db()
    assert review.hidden_reason == "個人情報"
    session.provider.refresh_from_db()
    assert session.provider.rating_count == 0
    public = client.get(reverse("reputation:reviews", args=[session.provider_id])).content.decode()
    assert "落ち着いて話せました" not in public

    unhide = reverse("reputation:review_unhide", args=[review.pk])
    assert client.post(unhide, {f"m{review.pk}-reason": "確認の上で戻す"}).status_code == 302
    review.refresh_from_db()
    assert review.hidden_at is None

    reviews.review_report(user=UserFactory(), review_id=review.pk, reason="再度")
    resolve = reverse("reputation:review_resolve", args=[review.pk])
    assert client.post(resolve).status_code == 302
    assert not ReviewReport.objects.filter(resolved_at__isnull=True).exists()
    assert client.post(reverse("reputation:review_resolve", args=[999999])).status_code == 404
