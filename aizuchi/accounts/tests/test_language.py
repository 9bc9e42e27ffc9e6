import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

JA_HEADLINE = "話したいときに、聞いてくれる人がいる。"
EN_HEADLINE = "When you want to talk, someone is here to listen."


def test_home_is_japanese_by_default(client):
    page = client.get("/").content.decode()
    assert 'lang="ja"' in page
    assert JA_HEADLINE in page


def test_english_browser_gets_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="en"' in page
    assert EN_HEADLINE in page


def test_switcher_sets_cookie_for_visitors(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert EN_HEADLINE in client.get("/").content.decode()


def test_switcher_remembers_the_choice_on_the_account(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    # A fresh browser (no cookie) still gets the saved language after login.
    client.cookies.clear()
    client.force_login(user)
    assert EN_HEADLINE in client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_switcher_ignores_unknown_languages(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "ja"


@pytest.mark.parametrize("back", ["-1", "//evil.example/", "https://evil.example/", "/a\u202eb"])
def test_switcher_goes_back_only_to_a_page_of_this_site(client, back):
    response = client.post(
        reverse("set_language"),
        {"language": "en", "next": back},
        HTTP_REFERER="http://testserver/providers/",
    )
    assert response.status_code == 302
    assert response["Location"] == "http://testserver/providers/"  # the checked referrer
    assert client.cookies["aizuchi_language"].value == "en"


def test_switcher_follows_a_page_of_this_site(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/booking/"})
    assert response["Location"] == "/booking/"
