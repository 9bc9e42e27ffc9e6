import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aizuchi.accounts import services
from aizuchi.accounts.models import User
from aizuchi.accounts.strings import LANGUAGE_UNKNOWN
from aizuchi.core.errors import InvalidInput
from aizuchi.core.names import NAME_INVISIBLE, name_clean

pytestmark = pytest.mark.django_db


def test_profile_update_saves_all_fields(user):
    services.user_update_profile(
        user=user, display_name="  はるか ", time_zone="Europe/Berlin", language="en"
    )
    user.refresh_from_db()
    assert (user.display_name, user.time_zone, user.language) == ("はるか", "Europe/Berlin", "en")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"display_name": "あ" * 41}, "display_name", "Keep the name to 40 characters."),
        ({"display_name": "はる\u202eか"}, "display_name", NAME_INVISIBLE),
        ({"display_name": "\u200b"}, "display_name", NAME_INVISIBLE),
        ({"language": "fr"}, "language", LANGUAGE_UNKNOWN),
        ({"time_zone": "Mars/Olympus"}, "time_zone", None),
    ],
)
def test_profile_update_refuses_bad_input_and_changes_nothing(user, changes, field, message):
    before = User.objects.values("display_name", "time_zone", "language").get(pk=user.pk)
    data = {"display_name": "新しい名前", "time_zone": "Asia/Tokyo", "language": "ja", **changes}
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        services.user_update_profile(user=user, **data)
    assert field in caught.value.errors
    if message is not None:
        with translation.override("en"):
            assert [str(m) for m in caught.value.errors[field]] == [str(message)]
    assert User.objects.values("display_name", "time_zone", "language").get(pk=user.pk) == before


def test_profile_page_shows_field_errors_in_japanese_and_english(client, user):
    client.force_login(user)
    bad = {"display_name": "x", "time_zone": "Nowhere/City", "language": "ja"}
    response = client.post(reverse("accounts:profile"), bad)
    assert response.status_code == 400
    assert "正しく選択してください" in response.content.decode()

    user.language = "en"
    user.save()
    response = client.post(reverse("accounts:profile"), bad)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"


def test_profile_page_saves_and_switches_language(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "ゆう", "time_zone": "America/New_York", "language": "en"},
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Your profile has been saved." in page
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_times_show_in_the_viewers_zone(client, user):
    """The same stored instant reads 09:00 in Tokyo and 01:00 in London (UTC in storage)."""
    import datetime as dt

    from aizuchi.notifications.models import Notification

    Notification.objects.create(
        user=user, kind="welcome", created_at=dt.datetime(2026, 1, 5, 0, 0, tzinfo=dt.UTC)
    )
    client.force_login(user)
    assert "09:00" in client.get(reverse("notifications:inbox")).content.decode()
    user.time_zone = "Europe/London"
    user.save()
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "00:00" in page
    assert "09:00" not in page


def test_email_is_unique_regardless_of_case(user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=user.email.upper())


@pytest.mark.parametrize(
    ("language", "message"),
    [("ja", "名前には、画面に表示されない文字"), ("en", "Use characters people can see")],
)
@pytest.mark.parametrize("nickname", ["\u202eはるか", "\u200b", "は\x1bる", "\u3164\u3164"])
def test_a_nickname_with_invisible_characters_is_a_field_error(
    client, user, language, message, nickname
):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": nickname, "time_zone": "Asia/Tokyo", "language": language},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["display_name"]
    assert message in response.content.decode()
    user.refresh_from_db()
    assert user.display_name.startswith("ひと")  # the factory's, unchanged


def test_a_blank_nickname_is_refused(client, user):
    # Everyone has a name others see: a blank one would make the person 「ゲスト」.
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "  \u3000 ", "time_zone": "Asia/Tokyo", "language": "ja"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    assert response.context["form"].errors["display_name"]
    user.refresh_from_db()
    assert user.display_name.startswith("ひと")


@given(name=st.text(max_size=60), accepts=st.one_of(st.booleans(), st.none(), st.text(max_size=3)))
def test_signup_details_take_a_clean_nickname_and_consent_or_change_nothing(name, accepts):
    person = User(email="new@aizuchi.example")
    try:
        name_clean(name, max_length=40, required=True)
        valid = accepts is True
    except ValidationError:
        valid = False
    if not valid:
        with pytest.raises(InvalidInput) as refused:
            services.user_signup_details(user=person, display_name=name, accepts_terms=accepts)
        assert refused.value.errors
        assert set(refused.value.errors) <= {"display_name", "accept_terms"}
        assert (person.display_name, person.terms_accepted_at) == ("", None)
        return
    services.user_signup_details(user=person, display_name=name, accepts_terms=accepts)
    assert person.display_name == name_clean(name, max_length=40, required=True)
    assert person.terms_accepted_at is not None
