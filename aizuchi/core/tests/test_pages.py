import pytest
from django.contrib.staticfiles import finders

from aizuchi.storefront.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


def test_home_shows_categories_and_new_listeners(client):
    ProviderFactory(display_name="聞き上手のはるか", concept="夜でも、ゆっくり聞きます")
    page = client.get("/").content.decode()
    for word in (
        "雑談",
        "悩み相談",
        "傾聴",
        "恋愛",
        "仕事",
        "聞き上手のはるか",
        "夜でも、ゆっくり聞きます",
    ):
        assert word in page


@pytest.mark.parametrize(
    "asset",
    ["vendor/htmx/htmx.min.js", "vendor/pico/pico.jade.min.css", "vendor/chartjs/chart.umd.min.js"],
)
def test_npm_assets_are_served_from_staticfiles(client, asset):
    assert finders.find(asset), f"{asset} missing: run `npm ci`"
    response = client.get(f"/static/{asset}")
    assert response.status_code == 200


def test_pages_link_no_outside_scripts_or_styles(client):
    page = client.get("/").content.decode()
    assert "https://cdn" not in page
    assert '<script src="http' not in page


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()
