"""Sign-up, e-mail verification, login, password reset and logout through allauth."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from aizuchi.accounts.models import User
from aizuchi.notifications.models import Notification

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signup_sends_verification_and_confirming_logs_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "Hana@Aizuchi.example", "password1": PASSWORD, "password2": PASSWORD},
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "hana@aizuchi.example"
    assert user.language == "ja"
    assert user.time_zone == "Asia/Tokyo"
    assert not EmailAddress.objects.get(user=user).verified
    # Not logged in before the address is confirmed.
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) == 1
    confirm_url = _link(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Notification.objects.filter(user=user, kind="welcome").count() == 1


def test_signup_in_english_keeps_english(client):
    client.post(
        reverse("account_signup"),
        {"email": "sam@aizuchi.example", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert User.objects.get().language == "en"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address", "password1": PASSWORD, "password2": PASSWORD}, "email"),
        (
            {"email": "a@aizuchi.example", "password1": PASSWORD, "password2": PASSWORD + "x"},
            "password2",
        ),
        (
            {"email": "b@aizuchi.example", "password1": "12345678", "password2": "12345678"},
            "password1",
        ),
    ],
)
def test_signup_refuses_bad_input_with_a_field_error_and_creates_nothing(client, data, field):
    response = client.post(reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not User.objects.exists()
    assert not mail.outbox


def test_signup_with_a_taken_address_in_other_case_is_refused(client):
    UserFactory(email="taken@aizuchi.example")
    response = client.post(
        reverse("account_signup"),
        {"email": "TAKEN@aizuchi.example", "password1": PASSWORD, "password2": PASSWORD},
    )
    # allauth does not reveal that the address exists: it shows the same "check your mail" page
    # and mails the owner instead; in either case no second account appears.
    assert response.status_code in (200, 302)
    assert User.objects.count() == 1


def test_login_and_logout(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_unverified_user_cannot_log_in(client):
    person = UserFactory(verified_email=False)
    EmailAddress.objects.create(user=person, email=person.email, verified=False, primary=True)
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


OWNER_IP, STRANGER_IP, OTHER_STRANGER_IP = "198.51.100.20", "203.0.113.7", "203.0.113.99"


def _sign_in(client, email: str, password: str, ip: str) -> tuple[int, bool, bool]:
    """(status, braked, signed in) of one sign-in from ``ip``."""
    from allauth.account.adapter import get_adapter

    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )
    return (
        response.status_code,
        too_many in response.content.decode(),
        "_auth_user_id" in client.session,
    )


def test_failed_logins_from_one_client_are_braked_for_that_address(client, user):
    attempts = [_sign_in(client, user.email, f"wrong-{i}", STRANGER_IP) for i in range(5)]
    assert attempts == [(200, False, False)] * 5
    assert _sign_in(client, user.email, "wrong-again", STRANGER_IP) == (200, True, False)
    # Even the right password is refused from that client while the brake holds.
    assert _sign_in(client, user.email, PASSWORD, STRANGER_IP) == (200, True, False)


def test_a_strangers_failures_do_not_lock_the_owner_out(client, user):
    for i in range(6):
        _sign_in(client, user.email, f"guess-{i}", STRANGER_IP)
    assert _sign_in(client, user.email, "guess-6", STRANGER_IP)[1]  # braked
    # The owner, from their own connection, signs in at once.
    assert _sign_in(client, user.email, PASSWORD, OWNER_IP) == (302, False, True)
    # Another stranger's failures are counted on their own.
    assert _sign_in(client, user.email, "guess", OTHER_STRANGER_IP) == (200, False, False)


def test_one_client_guessing_across_many_addresses_is_braked(client, user):
    others = [UserFactory() for _ in range(10)]
    attempts = [_sign_in(client, o.email, "wrong", STRANGER_IP) for o in others]
    assert attempts == [(200, False, False)] * 10
    # The eleventh failure within the minute, on yet another address, is braked...
    assert _sign_in(client, user.email, "wrong", STRANGER_IP) == (200, True, False)
    # ...while the owner of that address is not.
    assert _sign_in(client, user.email, PASSWORD, OWNER_IP) == (302, False, True)


def test_ipv6_clients_are_counted_per_64_network(client, user):
    for i in range(5):
        _sign_in(client, user.email, "wrong", f"2001:db8:1:2::{i + 1:x}")
    # Another address of the same /64 is the same client...
    assert _sign_in(client, user.email, "wrong", "2001:db8:1:2::ffff")[1]
    # ...another /64 is not.
    assert _sign_in(client, user.email, PASSWORD, "2001:db8:1:3::1") == (302, False, True)


def test_password_reset_mails_a_working_link(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    response = client.get(_link(mail.outbox[0]), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else _link(mail.outbox[0])
    new_password = "another-calm-evening-7"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
