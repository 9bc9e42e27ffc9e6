"""Names other people see are cleaned in one place: NFKC, whitespace collapsed, nothing
invisible, not empty."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aizuchi.core.names import NAME_INVISIBLE, NAME_REQUIRED, name_clean, name_has_invisible


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("はるか", "はるか"),
        ("  はるか  ", "はるか"),
        ("聞き上手の　はるか", "聞き上手の はるか"),  # an ideographic space is a space
        ("ＨＡＲＵＫＡ　ｻﾝ", "HARUKA サン"),  # full- and half-width become ordinary
        ("a\t\tb\nc", "a b c"),
        ("👩\u200d💻 さくら", "👩\u200d💻 さくら"),  # a joiner inside an emoji draws one emoji
        ("🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"),
        ("مريم", "مريم"),  # right-to-left letters are letters
    ],
)
def test_names_are_normalised(typed, stored):
    assert name_clean(typed, max_length=40) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "はる\u202eか",  # RIGHT-TO-LEFT OVERRIDE
        "\u202dはるか",  # LEFT-TO-RIGHT OVERRIDE
        "はるか\u2066x\u2069",  # isolates
        "は\u200bるか",  # ZERO WIDTH SPACE
        "\ufeffはるか",  # BYTE ORDER MARK
        "は\u200dるか",  # a joiner between letters hides nothing but is nothing either
        "は\x00るか",
        "は\x1bるか",
        "\u200b",
        "\u3164",  # HANGUL FILLER: draws nothing
        "\u2800\u2800",  # BRAILLE PATTERN BLANK
        "\u202e" * 5,
    ],
)
def test_invisible_characters_are_refused(typed):
    with pytest.raises(ValidationError) as caught:
        name_clean(typed, max_length=40)
    assert caught.value.error_list[0].message == NAME_INVISIBLE


@pytest.mark.parametrize("typed", ["", "   ", "\u3000\t\n", None])
def test_an_empty_name_is_refused_when_required_and_blank_when_optional(typed):
    with pytest.raises(ValidationError) as caught:
        name_clean(typed, max_length=40)
    assert caught.value.error_list[0].message == NAME_REQUIRED
    assert name_clean(typed, max_length=40, required=False) == ""


def test_length_counts_what_is_stored():
    assert name_clean("あ" * 40, max_length=40) == "あ" * 40
    for language, message in [
        ("en", "Keep the name to 40 characters."),
        ("ja", "名前は40文字以内で入力してください。"),
    ]:
        with translation.override(language), pytest.raises(ValidationError) as caught:
            name_clean("あ" * 41, max_length=40)
        assert caught.value.messages == [message]
    # Full-width letters count once they are ordinary ones: "㍿" is stored as "株式会社".
    with pytest.raises(ValidationError):
        name_clean("㍿" * 11, max_length=40)


def test_the_refusals_read_in_japanese_and_english():
    with translation.override("ja"):
        ja = str(NAME_INVISIBLE), str(NAME_REQUIRED)
    with translation.override("en"):
        en = str(NAME_INVISIBLE), str(NAME_REQUIRED)
    assert en == (
        "Use characters people can see: control characters, text-direction marks and "
        "invisible formatting are not allowed in a name.",
        "Enter a name.",
    )
    assert ja == (
        "名前には、画面に表示されない文字（制御文字・文字の向きを変える記号・見えない書式文字）"
        "は使えません。見える文字で入力してください。",
        "名前を入力してください。",
    )


@given(st.text(max_size=50))
def test_whatever_comes_out_is_clean_and_stable(typed):
    try:
        stored = name_clean(typed, max_length=60)
    except ValidationError:
        return
    assert stored
    assert stored == stored.strip()
    assert "  " not in stored
    assert unicodedata.is_normalized("NFKC", stored)
    assert not name_has_invisible(stored)
    assert name_clean(stored, max_length=60) == stored
