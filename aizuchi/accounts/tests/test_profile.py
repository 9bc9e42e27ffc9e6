import pytest
from django.urls import reverse

from aizuchi.accounts import services
from aizuchi.accounts.models import User
from aizuchi.accounts.strings import LANGUAGE_UNKNOWN, NICKNAME_TOO_LONG
from aizuchi.core.errors import InvalidInput

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
        ({"display_name": "あ" * 41}, "display_name", NICKNAME_TOO_LONG),
        ({"language": "fr"}, "language", LANGUAGE_UNKNOWN),
        ({"time_zone": "Mars/Olympus"}, "time_zone", None),
    ],
)
def test_profile_update_refuses_bad_input_and_changes_nothing(user, changes, field, message):
    before = User.objects.values("display_name", "time_zone", "language").get(pk=user.pk)
    data = {"display_name": "新しい名前", "time_zone": "Asia/Tokyo", "language": "ja", **changes}
    with pytest.raises(InvalidInput) as caught:
        services.user_update_profile(user=user, **data)
    assert field in caught.value.errors
    if message is not None:
        assert caught.value.errors[field] == [message]
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
