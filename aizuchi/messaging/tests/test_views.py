"""The messaging pages through Django's test client: the composer says what a message
costs before it is sent, sending works as a plain form, bad input comes back as field
errors with nothing stored, and inboxes list, filter and search (Japanese substrings)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Charge
from aizuchi.billing.tests.factories import OfferingFactory, fund, wallet_yen
from aizuchi.core.forms import new_key
from aizuchi.messaging.models import Message, MessageReport, Thread
from aizuchi.relationships.services import relationship_session_requested
from aizuchi.storefront.models import Provider
from aizuchi.storefront.tests.factories import BlogPostFactory, FavouriteFactory, ProviderFactory

from .factories import free_messages, paid_messages, photo, reply, send

pytestmark = pytest.mark.django_db


def _en(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def provider():
    provider = ProviderFactory(display_name="Hana")
    _en(provider.user)
    return provider


@pytest.fixture
def customer():
    return _en(UserFactory(display_name="Yuki"))


def _text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _post(client, url, text="こんにちは", **fields):
    return client.post(url, {"text": text, "idempotency_key": new_key(), **fields})


# --- writing for the first time ---------------------------------------------------------------


def test_the_composer_says_the_first_message_is_free_and_sending_opens_the_thread(
    client, provider, customer
):
    client.force_login(customer)
    url = reverse("messaging:to_provider", args=[provider.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "This message is free. 1 of 1 free messages left." in _text(page)
    assert not Thread.objects.exists()  # opening the composer writes nothing
    sent = _post(client, url, "電話が苦手なので、メッセージで失礼します")
    message = Message.objects.get()
    thread = message.thread
    assert sent.status_code == 302
    assert sent["Location"] == reverse("messaging:thread", args=[thread.pk]) + f"#m{message.pk}"
    assert client.get(url)["Location"] == reverse("messaging:thread", args=[thread.pk])
    after = client.get(reverse("messaging:thread", args=[thread.pk]))
    body = _text(after)
    assert "電話が苦手なので、メッセージで失礼します" in body
    # The free message is used: the composer says so plainly and offers the other ways.
    assert "You have sent the free messages Hana takes from one person (1)." in body
    assert 'data-step="book"' in after.content.decode()
    assert 'name="text"' not in after.content.decode()


def test_the_second_message_is_priced_before_it_is_sent_and_charged_as_shown(
    client, provider, customer
):
    free_messages(provider, count=1, price=300)
    fund(customer, 1000)
    client.force_login(customer)
    url = reverse("messaging:to_provider", args=[provider.pk])
    _post(client, url, "一通目", price_yen="0")
    thread = Thread.objects.get()
    page = client.get(reverse("messaging:thread", args=[thread.pk]))
    html = page.content.decode()
    assert "This message costs ¥300 in points. (You have ¥1,000.)" in _text(page)
    assert "Send for ¥300" in html
    assert re.search(r'name="price_yen" value="300"', html)
    # The provider changes the price meanwhile: the old page's price is refused.
    paid_messages(provider, 500)
    refused = _post(
        client, reverse("messaging:thread", args=[thread.pk]), "二通目", price_yen="300"
    )
    assert refused.status_code == 409
    assert 'data-code="price_changed"' in refused.content.decode()
    assert re.search(r'name="price_yen" value="500"', refused.content.decode())
    assert "二通目" in refused.content.decode()  # the text is kept for sending again
    assert Message.objects.count() == 1
    assert not Charge.objects.exists()
    sent = _post(client, reverse("messaging:thread", args=[thread.pk]), "二通目", price_yen="500")
    assert sent.status_code == 302
    assert wallet_yen(customer) == 500
    assert Charge.objects.get().amount_yen == 500


@pytest.mark.parametrize(
    ("text", "extra", "field_error"),
    [
        ("", {}, "Write a message, or add a photo."),
        ("あ" * 501, {}, "Keep a message to 500 characters (this one has 501)."),
        ("hello\x07", {}, "Remove the invisible control characters from the message."),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_stored(
    client, provider, customer, text, extra, field_error
):
    client.force_login(customer)
    response = _post(client, reverse("messaging:to_provider", args=[provider.pk]), text, **extra)
    assert response.status_code == 400
    assert field_error in _text(response)
    assert 'class="field-error"' in response.content.decode()
    assert not Message.objects.exists()
    assert not Thread.objects.exists()


def test_a_file_that_is_not_a_photo_is_a_field_error(client, provider, customer):
    client.force_login(customer)
    fake = photo()
    fake = type(fake)(b"%PDF-1.4 not a photo")
    fake.name = "photo.jpg"
    response = client.post(
        reverse("messaging:to_provider", args=[provider.pk]),
        {"text": "写真です", "idempotency_key": new_key(), "images": [fake]},
    )
    assert response.status_code == 400
    assert "photo.jpg is not a JPEG, PNG or WebP photo (or the file is damaged)." in _text(response)
    assert not Message.objects.exists()


def test_a_photo_is_sent_and_shown_only_to_the_two_of_them(client, provider, customer):
    client.force_login(customer)
    response = client.post(
        reverse("messaging:to_provider", args=[provider.pk]),
        {"text": "", "idempotency_key": new_key(), "images": [photo()]},
    )
    assert response.status_code == 302
    image = Message.objects.get().images.get()
    url = reverse("messaging:image", args=[image.pk])
    got = client.get(url + "?size=thumbnail")
    assert got.status_code == 200
    assert got["Content-Type"] == "image/webp"
    assert b"".join(got.streaming_content)[:4] == b"RIFF"
    client.force_login(provider.user)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login


def test_the_same_form_posted_twice_stores_one_message(client, provider, customer):
    client.force_login(customer)
    url = reverse("messaging:to_provider", args=[provider.pk])
    data = {"text": "二度押し", "idempotency_key": new_key()}
    first, second = client.post(url, data), client.post(url, data)
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1


def test_an_expired_form_key_is_a_form_error(client, provider, customer):
    client.force_login(customer)
    response = client.post(
        reverse("messaging:to_provider", args=[provider.pk]), {"text": "x", "idempotency_key": "?"}
    )
    assert response.status_code == 400
    assert "This form has expired. Reload the page and try again." in _text(response)


def test_ones_own_storefront_leads_to_ones_own_inbox(client, provider):
    client.force_login(provider.user)
    response = client.get(reverse("messaging:to_provider", args=[provider.pk]))
    assert response["Location"] == reverse("messaging:provider_inbox")


# --- the provider's side ----------------------------------------------------------------------


def test_the_provider_replies_for_free_blocks_and_unblocks(client, provider, customer):
    message = send(customer, provider, "はじめまして")
    thread = message.thread
    client.force_login(provider.user)
    page = client.get(reverse("messaging:thread", args=[thread.pk]))
    assert "Your replies are always free for you and for them." in _text(page)
    thread.refresh_from_db()
    assert thread.provider_unread == 0  # opening the thread read it
    _post(client, reverse("messaging:thread", args=[thread.pk]), "ようこそ")
    assert Message.objects.filter(sender="provider").count() == 1
    blocked = client.post(reverse("messaging:block", args=[thread.pk]), {"action": "block"})
    assert blocked.status_code == 302
    page = client.get(reverse("messaging:thread", args=[thread.pk]))
    assert "You have blocked Yuki." in _text(page)
    client.force_login(customer)
    page = client.get(reverse("messaging:thread", args=[thread.pk]))
    assert "Hana is not taking messages from you." in _text(page)
    assert 'name="text"' not in page.content.decode()
    refused = _post(client, reverse("messaging:thread", args=[thread.pk]), "なぜ？")
    assert refused.status_code == 409
    assert Message.objects.count() == 2
    client.force_login(provider.user)
    client.post(reverse("messaging:block", args=[thread.pk]), {"action": "unblock"})
    client.force_login(customer)
    assert "is not taking messages" not in _text(
        client.get(reverse("messaging:thread", args=[thread.pk]))
    )


def test_the_provider_writes_first_to_a_customer_who_has_been_in_touch(client, provider, customer):
    client.force_login(provider.user)
    url = reverse("messaging:to_customer", args=[customer.pk])
    assert client.get(url).status_code == 404
    relationship_session_requested(
        provider_id=provider.pk, customer_id=customer.pk, requested_at=Thread().created_at
    )
    assert client.get(url).status_code == 200
    sent = _post(client, url, "先日はありがとうございました")
    assert sent.status_code == 302
    assert Thread.objects.get().customer_unread == 1


def test_the_message_settings_page_saves_both_audiences(client, provider):
    client.force_login(provider.user)
    url = reverse("messaging:policy")
    assert client.get(url).status_code == 200
    data = {
        "payment": "prepaid",
        "newcomers_mode": "free",
        "newcomers_free_count": "1",
        "newcomers_free_period": "total",
        "newcomers_max_length": "500",
        "newcomers_price_yen": "300",
        "regulars_mode": "paid",
        "regulars_free_count": "0",
        "regulars_free_period": "month",
        "regulars_max_length": "1000",
        "regulars_price_yen": "0",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Paid messages need a price of at least ¥10." in _text(refused)
    saved = client.post(url, {**data, "regulars_price_yen": "200"})
    assert saved.status_code == 302
    assert provider.message_policies.get(audience="regulars").price_yen == 200


# --- inboxes ----------------------------------------------------------------------------------


def test_inboxes_list_newest_first_filter_unread_and_count_in_the_header(
    client, provider, customer
):
    other = ProviderFactory(display_name="Ren")
    first = send(customer, provider, "はるかさんへ")
    second = send(customer, other, "れんさんへ")
    reply(provider, first.thread, "お返事です")
    client.force_login(customer)
    page = client.get(reverse("messaging:inbox"))
    html = page.content.decode()
    rows = re.findall(r'data-thread-row="(\d+)"', html)
    assert rows == [str(first.thread_id), str(second.thread_id)]  # the reply is newest
    assert re.search(r"data-messages-unread\s*>1<", html)  # the header badge
    unread = client.get(reverse("messaging:inbox") + "?unread=1").content.decode()
    assert re.findall(r'data-thread-row="(\d+)"', unread) == [str(first.thread_id)]
    listed = client.get(reverse("messaging:inbox") + "?part=list").content.decode()
    assert "<html" not in listed
    assert f'data-thread-row="{first.thread_id}"' in listed


def test_a_provider_who_is_also_a_customer_sees_both_inboxes_apart(client, provider, customer):
    customer_provider = ProviderFactory(user=customer, display_name="Yuki's room")
    send(UserFactory(), customer_provider, "お店に届いた一通")
    send(customer, provider, "お客として書いた一通")
    client.force_login(customer)
    mine = client.get(reverse("messaging:inbox"))
    body = _text(mine)
    assert "Messages to your storefront 1" in body
    assert "お客として書いた一通" in body
    assert "お店に届いた一通" not in body
    shop = _text(client.get(reverse("messaging:provider_inbox")))
    assert "お店に届いた一通" in shop
    assert "お客として書いた一通" not in shop


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("仕事", ["仕事の相談をしたいです"]),  # two characters
        ("相談", ["仕事の相談をしたいです", "恋愛相談"]),
        ("ｿｳﾀﾞﾝ", ["ソウダン、と書きました"]),  # half-width folds to full width
        ("LINE", ["line で話せますか"]),  # case folds
        ("恋愛 相談", ["恋愛相談"]),  # every word
        ("見つからない", []),
        ("%", []),  # no wildcard reaches the database
        ("_", []),
    ],
)
def test_search_finds_japanese_substrings_in_ones_own_messages_only(
    client, provider, customer, query, found
):
    free_messages(provider, count=10)
    for text in (
        "仕事の相談をしたいです",
        "恋愛相談",
        "ソウダン、と書きました",
        "line で話せますか",
    ):
        send(customer, provider, text)
    send(UserFactory(), provider, "他の人の相談")  # someone else's thread
    client.force_login(customer)
    html = client.get(reverse("messaging:inbox"), {"q": query}).content.decode()
    results = re.findall(r'class="search-text">(?:You: )?([^<]*)<', html)
    assert sorted(unescape(r).strip() for r in results) == sorted(found)


def test_the_provider_searches_across_their_customers(client, provider, customer):
    send(customer, provider, "仕事の相談")
    send(UserFactory(), provider, "仕事が忙しくて")
    client.force_login(provider.user)
    html = client.get(reverse("messaging:provider_inbox"), {"q": "仕事"}).content.decode()
    assert len(re.findall(r'class="search-text"', html)) == 2


# --- dead ends offer "send a message" ---------------------------------------------------------


def test_the_busy_refusal_offers_a_message(client, customer):
    offering = OfferingFactory()
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="in_session")
    fund(customer, 1000)
    client.force_login(customer)
    refused = client.post(reverse("live:start"), {"offering_id": offering.pk})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'data-code="busy"' in html
    to = reverse("messaging:to_provider", args=[offering.provider_id])
    assert f'<li data-step="message"><a href="{to}">Send a message</a>' in html


def test_the_appointment_refusal_offers_a_message(client, customer):
    offering = OfferingFactory()
    Provider.objects.filter(pk=offering.provider_id).update(presence_state="appointment")
    fund(customer, 1000)
    client.force_login(customer)
    html = client.post(reverse("live:start"), {"offering_id": offering.pk}).content.decode()
    assert 'data-code="appointment_only"' in html
    assert 'data-step="message"' in html


def test_the_provider_page_favourite_cards_and_blog_posts_offer_a_message(
    client, provider, customer
):
    to = reverse("messaging:to_provider", args=[provider.pk])
    client.force_login(customer)
    page = client.get(reverse("storefront:detail", args=[provider.pk]))
    assert f'href="{to}" data-send-message' in page.content.decode()
    assert "1 free message left. They see it even while busy." in _text(page)
    FavouriteFactory(customer=customer, provider=provider)
    favourites = client.get(reverse("storefront:favourites")).content.decode()
    assert f'href="{to}" data-send-message' in favourites
    post = BlogPostFactory(provider=provider)
    blog = client.get(reverse("storefront:blog_post", args=[provider.pk, post.pk])).content.decode()
    assert f'href="{to}" data-send-message' in blog
    client.force_login(provider.user)  # not on one's own page
    assert (
        "data-send-message"
        not in client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    )


def test_a_session_summary_offers_a_message_to_both_sides(client, provider, customer):
    from aizuchi.live.tests.factories import SessionFactory

    session = SessionFactory(provider=provider, customer=customer, declined=True)
    client.force_login(customer)
    html = client.get(reverse("live:summary", args=[session.pk])).content.decode()
    assert (
        f'href="{reverse("messaging:to_provider", args=[provider.pk])}" data-send-message' in html
    )
    client.force_login(provider.user)
    html = client.get(reverse("live:summary", args=[session.pk])).content.decode()
    assert (
        f'href="{reverse("messaging:to_customer", args=[customer.pk])}" data-send-message' in html
    )


# --- reports and moderation -------------------------------------------------------------------


def test_a_report_reaches_staff_who_see_that_message_only(client, provider, customer):
    first = send(customer, provider, "普通のメッセージ")
    bad = reply(provider, first.thread, "ひどい言葉")
    client.force_login(customer)
    assert client.get(reverse("messaging:report", args=[first.pk])).status_code == 200
    own = client.post(reverse("messaging:report", args=[first.pk]), {"reason": "自分のもの"})
    assert own.status_code == 400
    assert "You cannot report your own message." in _text(own)
    empty = client.post(reverse("messaging:report", args=[bad.pk]), {"reason": "  "})
    assert "Say in a few words what is wrong with this message." in _text(empty)
    done = client.post(reverse("messaging:report", args=[bad.pk]), {"reason": "暴言です"})
    assert done.status_code == 302
    assert MessageReport.objects.get().reason == "暴言です"
    staff = _en(UserFactory(is_staff=True))
    client.force_login(staff)
    queue = client.get(reverse("messaging:moderation"))
    body = _text(queue)
    assert "ひどい言葉" in body
    assert "暴言です" in body
    assert "普通のメッセージ" not in body  # the rest of the thread stays private
    client.force_login(customer)
    assert client.get(reverse("messaging:moderation")).status_code == 404


def test_a_paid_message_explains_itself_in_the_points_history(client, provider, customer):
    paid_messages(provider, 300)
    fund(customer, 1000)
    message = send(customer, provider, "相談です", price_yen=300)
    client.force_login(customer)
    wallet = _text(client.get(reverse("billing:wallet")))
    assert "Message to Hana" in wallet
    charge = _text(client.get(reverse("billing:charge", args=[message.charge_id])))
    assert "A paid message to Hana" in charge
    assert "¥300 a message, as the page showed before it was sent" in charge
    assert "Paid with points when the message was sent." in charge


def test_a_booking_requests_message_shows_on_the_providers_list_and_in_the_thread(client):
    from aizuchi.booking.services.slots import slots_for
    from aizuchi.booking.tests.factories import bookable_offering, customer_with_points

    offering = bookable_offering()
    booker = customer_with_points()
    start = slots_for(provider=offering.provider, offering=offering)[0].start
    client.force_login(booker)
    response = client.post(
        reverse("booking:provider", args=[offering.provider_id]),
        {
            "offering_id": offering.pk,
            "start": start.isoformat(),
            "idempotency_key": new_key(),
            "confirmed": "1",
            "note": "仕事の悩みを聞いてほしいです",
        },
    )
    assert response.status_code == 302
    client.force_login(offering.provider.user)
    listed = client.get(reverse("booking:manage")).content.decode()
    assert "仕事の悩みを聞いてほしいです" in listed
    thread = Thread.objects.get(customer=booker)
    page = client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "仕事の悩みを聞いてほしいです" in page
    assert reverse("booking:detail", args=[thread.messages.get().booking_id]) in page


def test_a_booking_note_that_is_too_long_is_a_field_error_and_nothing_is_booked(client):
    from aizuchi.booking.models import Booking
    from aizuchi.booking.services.slots import slots_for
    from aizuchi.booking.tests.factories import bookable_offering, customer_with_points

    offering = bookable_offering()
    booker = _en(customer_with_points())
    start = slots_for(provider=offering.provider, offering=offering)[0].start
    client.force_login(booker)
    response = client.post(
        reverse("booking:provider", args=[offering.provider_id]),
        {
            "offering_id": offering.pk,
            "start": start.isoformat(),
            "idempotency_key": new_key(),
            "confirmed": "1",
            "note": "あ" * 501,
        },
    )
    assert response.status_code == 400
    assert "Keep this to 500 characters." in _text(response)
    assert not Booking.objects.exists()
    assert not Message.objects.exists()
