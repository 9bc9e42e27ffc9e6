"""A user-supplied ``next`` is followed only when it is a path on this site."""

from __future__ import annotations

import unicodedata

import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from aizuchi.core.redirects import LOCAL_PATH_MAX, local_path, redirect_local


def _request(secure: bool = False):
    return RequestFactory().post("/", secure=secure)


@pytest.mark.parametrize(
    "value",
    [
        "/",
        "/booking/12/",
        "/providers/?q=%E6%81%8B%E6%84%9B&page=2",
        "/providers/3/#reviews",
        "/お気に入り/",
    ],
)
def test_paths_of_this_site_are_followed(value):
    assert local_path(_request(), value) == value
    assert redirect_local(_request(), value, fallback="/elsewhere/")["Location"]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "-1",
        "NaN",
        "🙂",
        "booking:detail",
        "'; DROP TABLE accounts_user; --",
        "../../etc/passwd",
        "%00",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "http://testserver/booking/",  # absolute: our links are paths
        "javascript:alert(1)",
        "/a\nLocation: https://evil.example/",
        "/a\x00b",
        "/\u202egnp.exe",
        "/a\u200bb",
        "/" + "a" * LOCAL_PATH_MAX,
        ["/"],
        7,
    ],
)
def test_anything_else_falls_back(value):
    assert local_path(_request(), value) is None
    response = redirect_local(_request(), value, fallback="/booking/12/")
    assert response.status_code == 302
    assert response["Location"] == "/booking/12/"


@given(st.text(max_size=60))
def test_whatever_is_followed_is_a_clean_local_path(value):
    followed = local_path(_request(), value)
    if followed is not None:
        assert followed == value
        assert followed.startswith("/")
        assert followed[1:2] not in ("/", "\\")
        assert all(unicodedata.category(char) not in ("Cc", "Cf") for char in followed)
