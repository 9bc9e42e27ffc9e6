"""Sign-up, e-mail verification, login, password reset and logout through allauth."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aizuchi.accounts.models import User
from aizuchi.notifications.models import Notification

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "はな",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "accept_terms": "on",
}


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signup_sends_verification_and_confirming_logs_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": "Hana@Aizuchi.example", **SIGNUP},
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "hana@aizuchi.example"
    assert user.language == "ja"
    assert user.time_zone == "Asia/Tokyo"
    assert user.display_name == "はな"
    assert user.terms_accepted_at is not None
    assert abs((timezone.now() - user.terms_accepted_at).total_seconds()) < 60
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
        {"email": "sam@aizuchi.example", **SIGNUP},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert User.objects.get().language == "en"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**SIGNUP, "email": "not-an-address"}, "email"),
        ({**SIGNUP, "email": "a@aizuchi.example", "password2": PASSWORD + "x"}, "password2"),
        (
            {
                **SIGNUP,
                "email": "b@aizuchi.example",
                "password1": "12345678",
                "password2": "12345678",
            },
            "password1",
        ),
        ({**SIGNUP, "email": "c@aizuchi.example", "display_name": " \u3000"}, "display_name"),
        ({**SIGNUP, "email": "d@aizuchi.example", "display_name": "は\u202eな"}, "display_name"),
        (
            {k: v for k, v in SIGNUP.items() if k != "accept_terms"}
            | {"email": "e@aizuchi.example"},
            "accept_terms",
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
        {"email": "TAKEN@aizuchi.example", **SIGNUP},
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


def _sign_up(client, email: str, django_capture_on_commit_callbacks, language: str = "ja"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"), {"email": email, **SIGNUP}, HTTP_ACCEPT_LANGUAGE=language
        )
    assert response.status_code == 302
    return mail.outbox[-1]


def test_confirming_in_another_browser_signs_in_once(client, django_capture_on_commit_callbacks):
    message = _sign_up(client, "mio@aizuchi.example", django_capture_on_commit_callbacks)
    user = User.objects.get(email="mio@aizuchi.example")
    phone = Client()  # the mail opened on a phone: no session from the sign-up
    with django_capture_on_commit_callbacks(execute=True):
        response = phone.post(_link(message), {"password": SIGNUP["password1"]})
    assert response.status_code == 302
    assert response.url == reverse("site:home")
    assert phone.session["_auth_user_id"] == str(user.pk)
    # The same link later (a forwarded mail, a log) never signs anyone in again.
    stranger = Client()
    stranger.post(_link(message), {"password": SIGNUP["password1"]})
    assert "_auth_user_id" not in stranger.session


@pytest.mark.parametrize("password", ["", "not-the-password-1"])
def test_the_mailbox_alone_does_not_sign_in_to_an_account_someone_else_made(
    client, django_capture_on_commit_callbacks, password
):
    """Someone signs up with another person's address: the owner's click confirms the
    address but, without the password, signs the owner into nobody's account."""
    message = _sign_up(client, "owner@aizuchi.example", django_capture_on_commit_callbacks)
    owner = Client()
    response = owner.post(_link(message), {"password": password})
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert "_auth_user_id" not in owner.session
    assert EmailAddress.objects.get(email="owner@aizuchi.example").verified


def test_the_confirmation_mail_is_written_for_aizuchi(client, django_capture_on_commit_callbacks):
    message = _sign_up(client, "rin@aizuchi.example", django_capture_on_commit_callbacks)
    assert message.subject == "[Aizuchi] メールアドレスの確認をお願いします"
    body = message.body
    assert body.startswith("はなさん、Aizuchi にご登録いただきありがとうございます。")
    assert "こんにちは" not in body
    assert "testserver" not in body.split("http://testserver/")[0]  # no host as a site name
    assert "http://testserver/accounts/confirm-email/" in body
    # Every line is Japanese or a link: no English left from the library.
    for line in body.splitlines():
        if line and not line.startswith("http"):
            assert not re.search(r"[A-Za-z]{4,}", line.replace("Aizuchi", "")), line


def test_messages_name_the_person_by_nickname(client, user):
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="ja",
        follow=True,
    )
    text = response.content.decode()
    assert f"{user.display_name}さん、おかえりなさい。" in text
    assert user.email not in text.split("<main")[1]


def test_signup_page_has_no_colons_and_a_short_password_rule(client):
    text = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", text, re.S)
    assert labels
    assert not any(re.sub("<[^>]+>", "", label).strip().endswith((":", "：")) for label in labels)
    assert "ニックネーム" in text
    assert 'href="/terms/"' in text
    assert 'href="/privacy/"' in text
    # Django's four rules in a list are replaced by one short line.
    assert "<ul" not in text.split("<main")[1].split("</form>")[0]
    assert "8文字以上" in text


def test_an_account_without_a_nickname_is_asked_for_one_first(client):
    from .factories import UserFactory

    person = UserFactory(display_name="")
    client.force_login(person)
    response = client.get("/billing/wallet/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 302
    assert response.url == reverse("accounts:welcome") + "?next=%2Fbilling%2Fwallet%2F"
    # The legal pages and logging out stay reachable.
    assert client.get(reverse("site:terms")).status_code == 200
    # A blank or invisible nickname is refused and changes nothing.
    response = client.post(
        reverse("accounts:welcome"),
        {"display_name": "\u200b", "time_zone": "Asia/Tokyo", "next": "/billing/wallet/"},
    )
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.display_name == ""
    response = client.post(
        reverse("accounts:welcome"),
        {"display_name": "そら", "time_zone": "Europe/London", "next": "/billing/wallet/"},
    )
    assert response.status_code == 302
    assert response.url == "/billing/wallet/"
    person.refresh_from_db()
    assert (person.display_name, person.time_zone) == ("そら", "Europe/London")
    assert client.get("/billing/wallet/").status_code == 200
    # Done once: the page sends people with a name on their way.
    assert client.get(reverse("accounts:welcome")).status_code == 302


def test_first_run_does_not_follow_a_link_off_the_site(client):
    from .factories import UserFactory

    client.force_login(UserFactory(display_name=""))
    response = client.post(
        reverse("accounts:welcome"),
        {"display_name": "そら", "time_zone": "Asia/Tokyo", "next": "https://evil.example/"},
    )
    assert response.url == reverse("site:home")


def test_terms_and_privacy_pages_in_both_languages(client):
    assert "利用規約" in client.get("/terms/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Terms of use" in client.get("/terms/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "プライバシーポリシー"
        in client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    )
    assert "Privacy policy" in client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_email",
        "account_change_password",
    ],
)
def test_account_pages_have_no_colons_after_labels_or_text(client, user, name):
    if name in ("account_email", "account_change_password"):
        client.force_login(user)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    main = response.content.decode().split("<main")[1].split("</main>")[0]
    text = re.sub(r"<[^>]+>", "\n", main)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines
    assert not [line for line in lines if line.endswith((":", "："))]
    # The "forgot your password" link is offered once, not twice.
    assert main.count(f'href="{reverse("account_reset_password")}"') <= 1


def test_staff_see_the_consent_but_cannot_change_it(admin_client, user):
    # Staff pages stay open to a staff account without a nickname (no first-run detour).
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200
    response = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert response.status_code == 200
    assert "terms_accepted_at" not in response.context["adminform"].form.fields
    assert (
        "display_name"
        in admin_client.get("/admin/accounts/user/add/").context["adminform"].form.fields
    )
