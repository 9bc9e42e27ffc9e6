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


def test_failed_logins_are_rate_limited_per_address(client, user):
    from allauth.account.adapter import get_adapter

    url = reverse("account_login")
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])

    def attempt(password):
        response = client.post(url, {"login": user.email, "password": password})
        return response.status_code, too_many in response.content.decode()

    assert [attempt(f"wrong-{i}") for i in range(5)] == [(200, False)] * 5
    assert attempt("wrong-again") == (200, True)
    # Even the right password is refused while the limit holds.
    assert attempt(PASSWORD) == (200, True)
    assert "_auth_user_id" not in client.session


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
