import pytest
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.storefront.models import Offering, Provider
from aizuchi.storefront.selectors import offerings as svc_reads
from aizuchi.storefront.services import offerings as svc

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db

URL = "/providers/me/offerings/"
VOICE, CHAT = Offering.Channel.VOICE, Offering.Channel.CHAT


def offering_rows(provider):
    return list(
        Offering.objects.filter(provider=provider)
        .order_by("channel")
        .values_list(
            "channel",
            "price_per_minute",
            "rounding",
            "first_free_minutes",
            "first_session_cap_minutes",
            "session_cap_minutes",
            "payment",
            "is_active",
            "updated_at",
        )
    )


def state(provider):
    p = Provider.objects.get(pk=provider.pk)
    return offering_rows(provider), p.price_from, p.updated_at


# --- service -----------------------------------------------------------------------------


def test_save_creates_then_updates_one_offering_per_channel():
    provider = ProviderFactory()
    first = svc.offering_save(provider=provider, channel=VOICE, price_per_minute=120)
    assert (first.rounding, first.payment, first.first_free_minutes) == ("minute", "prepaid", 0)
    again = svc.offering_save(
        provider=provider,
        channel=VOICE,
        price_per_minute=150,
        rounding="second",
        first_free_minutes=30,
        first_session_cap_minutes=60,
        session_cap_minutes=90,
        payment="postpaid",
    )
    assert again.pk == first.pk
    saved = Offering.objects.get(pk=first.pk)
    assert (saved.price_per_minute, saved.rounding, saved.payment) == (150, "second", "postpaid")
    assert (saved.first_free_minutes, saved.first_session_cap_minutes) == (30, 60)
    assert saved.session_cap_minutes == 90
    assert Offering.objects.filter(provider=provider).count() == 1


def test_price_from_is_the_lowest_active_price():
    provider = ProviderFactory()
    assert provider.price_from is None
    svc.offering_save(provider=provider, channel=VOICE, price_per_minute=200)
    svc.offering_save(provider=provider, channel=CHAT, price_per_minute=90)
    provider.refresh_from_db()
    assert provider.price_from == 90
    svc.offering_set_active(provider=provider, channel=CHAT, is_active=False)
    provider.refresh_from_db()
    assert provider.price_from == 200
    svc.offering_save(provider=provider, channel=VOICE, price_per_minute=200, is_active=False)
    provider.refresh_from_db()
    assert provider.price_from is None


def test_setting_active_on_a_missing_offering_is_not_found():
    provider = ProviderFactory()
    with pytest.raises(NotFound):
        svc.offering_set_active(provider=provider, channel=CHAT, is_active=True)


_OPERATION = st.one_of(
    st.tuples(
        st.just("save"),
        st.sampled_from([VOICE, CHAT]),
        st.integers(min_value=10, max_value=5000),
        st.booleans(),
    ),
    st.tuples(st.just("toggle"), st.sampled_from([VOICE, CHAT]), st.booleans()),
    st.tuples(st.just("bad"), st.sampled_from([VOICE, CHAT]), st.integers(-100, 9)),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(_OPERATION, max_size=12))
def test_price_from_always_equals_the_lowest_active_price(operations):
    provider = ProviderFactory()  # a fresh storefront per example
    model: dict[str, tuple[int, bool]] = {}
    for operation in operations:
        if operation[0] == "save":
            _op, channel, price, active = operation
            svc.offering_save(
                provider=provider, channel=channel, price_per_minute=price, is_active=active
            )
            model[channel] = (price, active)
        elif operation[0] == "toggle":
            _op, channel, active = operation
            try:
                svc.offering_set_active(provider=provider, channel=channel, is_active=active)
            except NotFound:
                assert channel not in model
            else:
                model[channel] = (model[channel][0], active)
        else:  # a refused save changes nothing
            _op, channel, price = operation
            with pytest.raises(InvalidInput):
                svc.offering_save(provider=provider, channel=channel, price_per_minute=price)
        active_prices = [price for price, active in model.values() if active]
        expected = min(active_prices) if active_prices else None
        assert Provider.objects.get(pk=provider.pk).price_from == expected
        assert provider.price_from == expected


BASE = {"channel": VOICE, "price_per_minute": 100}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "video"}, "channel"),
        ({"price_per_minute": 9}, "price_per_minute"),
        ({"price_per_minute": 5001}, "price_per_minute"),
        ({"price_per_minute": 0}, "price_per_minute"),
        ({"price_per_minute": -50}, "price_per_minute"),
        ({"price_per_minute": "12.5"}, "price_per_minute"),
        ({"price_per_minute": None}, "price_per_minute"),
        ({"price_per_minute": True}, "price_per_minute"),
        ({"rounding": "hour"}, "rounding"),
        ({"payment": "barter"}, "payment"),
        ({"first_free_minutes": -1}, "first_free_minutes"),
        ({"first_free_minutes": 61}, "first_free_minutes"),
        ({"first_session_cap_minutes": 0}, "first_session_cap_minutes"),
        ({"first_session_cap_minutes": 601}, "first_session_cap_minutes"),
        ({"session_cap_minutes": 0}, "session_cap_minutes"),
        ({"session_cap_minutes": 601}, "session_cap_minutes"),
        # Consistency between the terms.
        ({"first_free_minutes": 30, "first_session_cap_minutes": 20}, "first_free_minutes"),
        ({"first_free_minutes": 30, "session_cap_minutes": 20}, "first_free_minutes"),
        ({"first_session_cap_minutes": 90, "session_cap_minutes": 60}, "first_session_cap_minutes"),
    ],
)
def test_bad_terms_are_refused_with_a_field_error_and_nothing_changes(changes, field):
    provider = ProviderFactory()
    svc.offering_save(provider=provider, channel=VOICE, price_per_minute=150)
    before = state(provider)
    with pytest.raises(InvalidInput) as caught:
        svc.offering_save(provider=provider, **{**BASE, **changes})
    assert list(caught.value.errors) == [field]
    assert state(provider) == before


@pytest.mark.parametrize(
    "terms",
    [
        {"price_per_minute": 10},
        {"price_per_minute": 5000},
        {"first_free_minutes": 60},
        {"first_free_minutes": 30, "first_session_cap_minutes": 30},
        {"first_session_cap_minutes": 60, "session_cap_minutes": 60},
        {"first_free_minutes": 30, "first_session_cap_minutes": 60, "session_cap_minutes": 120},
        {"session_cap_minutes": 600},
    ],
)
def test_terms_at_the_limits_are_accepted(terms):
    provider = ProviderFactory()
    offering = svc.offering_save(provider=provider, **{**BASE, **terms})
    for key, value in terms.items():
        assert getattr(offering, key) == value


def test_the_limits_come_from_settings(settings):
    settings.AIZUCHI_STOREFRONT_PROFILE = {"PRICE_MIN_YEN": 50, "PRICE_MAX_YEN": 60}
    provider = ProviderFactory()
    with pytest.raises(InvalidInput):
        svc.offering_save(provider=provider, channel=VOICE, price_per_minute=40)
    assert svc.offering_save(provider=provider, channel=VOICE, price_per_minute=55)


# --- the plain-language summary ----------------------------------------------------------

SUMMARY_CASES = [
    # The postpaid listener: a free start, a short first session, pay afterwards.
    (
        {"first_free_minutes": 30, "first_session_cap_minutes": 60, "payment": "postpaid"},
        "First 30 min free · First session up to 60 min · Postpaid",
        "初回30分無料・初回は最長60分・後払い",
    ),
    # The plain offer.
    ({}, "Billed per minute · Prepaid (points)", "1分ごと課金・前払い（ポイント）"),
    (
        {"rounding": "second"},
        "Billed per second · Prepaid (points)",
        "1秒ごと課金・前払い（ポイント）",
    ),
    (
        {"first_free_minutes": 10},
        "First 10 min free · Prepaid (points)",
        "初回10分無料・前払い（ポイント）",
    ),
    (
        {"first_session_cap_minutes": 30, "payment": "postpaid"},
        "First session up to 30 min · Postpaid",
        "初回は最長30分・後払い",
    ),
    (
        {"session_cap_minutes": 90},
        "Each session up to 90 min · Billed per minute · Prepaid (points)",
        "1回最長90分・1分ごと課金・前払い（ポイント）",
    ),
    (
        {
            "first_free_minutes": 15,
            "first_session_cap_minutes": 45,
            "session_cap_minutes": 120,
            "rounding": "second",
            "payment": "postpaid",
        },
        "First 15 min free · First session up to 45 min · Each session up to 120 min"
        " · Billed per second · Postpaid",
        "初回15分無料・初回は最長45分・1回最長120分・1秒ごと課金・後払い",
    ),
]


def _offering(**terms):
    return Offering(channel=VOICE, price_per_minute=100, **terms)


@pytest.mark.parametrize(("terms", "english", "japanese"), SUMMARY_CASES)
def test_policy_summary_in_english(terms, english, japanese):
    with translation.override("en"):
        assert svc_reads.offering_policy_summary(_offering(**terms)) == english


@pytest.mark.parametrize(("terms", "english", "japanese"), SUMMARY_CASES)
def test_policy_summary_in_japanese(terms, english, japanese):
    with translation.override("ja"):
        if translation.gettext("Postpaid") == "Postpaid":
            pytest.skip("Japanese catalogue for the policy summary not compiled yet")
        assert svc_reads.offering_policy_summary(_offering(**terms)) == japanese


def test_policy_summary_follows_the_active_language():
    offering = _offering(payment="postpaid")
    with translation.override("en"):
        english = svc_reads.offering_policy_summary(offering)
    with translation.override("ja"):
        japanese = svc_reads.offering_policy_summary(offering)
    assert english == "Billed per minute · Postpaid"
    # Until the catalogue lands both read alike; afterwards they must differ.
    with translation.override("ja"):
        if translation.gettext("Postpaid") != "Postpaid":
            assert japanese != english


# --- pages -------------------------------------------------------------------------------


def post_data(channel=VOICE, **changes):
    data = {
        "price_per_minute": "120",
        "rounding": "minute",
        "first_free_minutes": "30",
        "first_session_cap_minutes": "60",
        "session_cap_minutes": "",
        "payment": "postpaid",
        "is_active": "on",
        **changes,
    }
    return {"channel": channel} | {f"{channel}-{k}": v for k, v in data.items() if v is not None}


def test_the_page_shows_both_channels(client, user):
    provider = ProviderFactory(user=user)
    svc.offering_save(
        provider=provider,
        channel=VOICE,
        price_per_minute=120,
        first_free_minutes=30,
        first_session_cap_minutes=60,
        payment="postpaid",
    )
    client.force_login(user)
    user.language = "en"
    user.save()
    html = client.get(URL).content.decode()
    assert 'name="voice-price_per_minute" value="120"' in html
    assert 'name="chat-price_per_minute"' in html
    assert "First 30 min free · First session up to 60 min · Postpaid" in html


def test_posting_saves_one_channel_and_leaves_the_other(client, user):
    provider = ProviderFactory(user=user)
    client.force_login(user)
    response = client.post(URL, post_data(CHAT, price_per_minute="80"))
    assert response.status_code == 302
    assert response.url == URL
    offering = Offering.objects.get(provider=provider)
    assert (offering.channel, offering.price_per_minute) == (CHAT, 80)
    assert (offering.first_free_minutes, offering.first_session_cap_minutes) == (30, 60)
    assert offering.session_cap_minutes is None
    provider.refresh_from_db()
    assert provider.price_from == 80


def test_unticking_open_for_sale_takes_it_off_sale(client, user):
    provider = ProviderFactory(user=user)
    svc.offering_save(provider=provider, channel=VOICE, price_per_minute=120)
    client.force_login(user)
    client.post(URL, post_data(VOICE, is_active=None))
    assert Offering.objects.get(provider=provider).is_active is False
    provider.refresh_from_db()
    assert provider.price_from is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_per_minute": "9"}, "price_per_minute"),
        ({"price_per_minute": "5001"}, "price_per_minute"),
        ({"price_per_minute": "abc"}, "price_per_minute"),
        ({"price_per_minute": ""}, "price_per_minute"),
        ({"rounding": "hour"}, "rounding"),
        ({"payment": "x"}, "payment"),
        ({"first_free_minutes": "61"}, "first_free_minutes"),
        ({"first_free_minutes": "-1"}, "first_free_minutes"),
        ({"first_session_cap_minutes": "0"}, "first_session_cap_minutes"),
        ({"session_cap_minutes": "601"}, "session_cap_minutes"),
        ({"first_free_minutes": "45", "first_session_cap_minutes": "30"}, "first_free_minutes"),
        (
            {"first_session_cap_minutes": "90", "session_cap_minutes": "60"},
            "first_session_cap_minutes",
        ),
    ],
)
def test_bad_posts_answer_400_with_the_field_error_and_change_nothing(client, user, changes, field):
    provider = ProviderFactory(user=user)
    svc.offering_save(provider=provider, channel=VOICE, price_per_minute=150)
    before = state(provider)
    client.force_login(user)
    response = client.post(URL, post_data(VOICE, **changes))
    assert response.status_code == 400
    section = next(s for s in response.context["sections"] if s["channel"] == VOICE)
    assert section["form"].errors.get(field), section["form"].errors
    assert 'class="field-error"' in response.content.decode()
    assert state(provider) == before


def test_an_unknown_channel_is_refused(client, user):
    provider = ProviderFactory(user=user)
    client.force_login(user)
    response = client.post(URL, post_data("video"))
    assert response.status_code == 400
    assert not Offering.objects.filter(provider=provider).exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    provider = ProviderFactory()
    response = client.post(URL, post_data())
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Offering.objects.filter(provider=provider).exists()


def test_another_persons_post_never_touches_my_offerings(client, user, other_user):
    mine = ProviderFactory(user=user)
    svc.offering_save(provider=mine, channel=VOICE, price_per_minute=150)
    before = state(mine)
    client.force_login(other_user)
    # No storefront of their own: sent to open one.
    response = client.post(URL, post_data(price_per_minute="10"))
    assert response.url == reverse("storefront:open")
    theirs = ProviderFactory(user=other_user)
    response = client.post(URL + f"?provider={mine.pk}", post_data(price_per_minute="10"))
    assert response.status_code == 302
    assert state(mine) == before
    assert Offering.objects.get(provider=theirs).price_per_minute == 10


def test_the_public_page_shows_active_offerings_and_their_terms(client, user):
    provider = ProviderFactory()
    svc.offering_save(
        provider=provider,
        channel=VOICE,
        price_per_minute=120,
        first_free_minutes=30,
        first_session_cap_minutes=60,
        payment="postpaid",
    )
    svc.offering_save(provider=provider, channel=CHAT, price_per_minute=987, is_active=False)
    user.language = "en"
    user.save()
    client.force_login(user)
    html = client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    assert "¥120 / min" in html
    # the first-session terms come from billing's section, which knows this viewer is new
    assert "First 30 min free · First session up to 60 min" in html
    assert "Billed per minute · Postpaid" in html
    assert "¥987" not in html  # not on sale
    offers = html.split('class="provider-offerings"')[1].split("</section>")[0]
    # one way to start a session, for the offering on sale
    assert offers.count("<button") == 1
    assert "Call now" in offers


def test_a_repeat_customer_s_summary_leaves_out_the_first_session_terms():
    offering = _offering(first_free_minutes=10, first_session_cap_minutes=30)
    with translation.override("en"):
        assert svc_reads.offering_policy_summary(offering, first_session=False) == (
            "Billed per minute · Prepaid (points)"
        )
        assert svc_reads.offering_first_session_summary(offering) == (
            "First 10 min free · First session up to 30 min"
        )
        assert svc_reads.offering_first_session_summary(_offering()) == ""
