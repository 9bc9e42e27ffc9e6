"""Japanese search: the bigram index, matching, filters, sorts, highlights and the page."""

from __future__ import annotations

import io
import sqlite3
import unicodedata
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.storefront.forms import MAX_PAGE
from aizuchi.storefront.models import (
    BlogPost,
    Category,
    Offering,
    Provider,
    ProviderTag,
    SearchDocument,
)
from aizuchi.storefront.selectors import provider_search
from aizuchi.storefront.selectors import query as search
from aizuchi.storefront.selectors import search as search_selectors
from aizuchi.storefront.services import search as search_writes
from aizuchi.storefront.tests.factories import ProviderFactory

INDEX = "storefront:index"


def make(
    display_name: str = "みさき",
    concept: str = "ゆっくり聞きます",
    description: str = "",
    *,
    tags=(),
    posts=(),
    offerings=(),
    presence: str | None = None,
    categories=(),
    **fields,
) -> Provider:
    provider = ProviderFactory(
        display_name=display_name, concept=concept, description=description, **fields
    )
    for name in tags:
        ProviderTag.objects.create(provider=provider, name=name)
    for title, body, published in posts:
        BlogPost.objects.create(
            provider=provider,
            title=title,
            body=body,
            body_html=body,
            is_published=published,
            published_at=timezone.now() if published else None,
        )
    for channel, price, *rest in offerings:
        Offering.objects.create(
            provider=provider,
            channel=channel,
            price_per_minute=price,
            is_active=rest[0] if rest else True,
        )
    if presence:
        Provider.objects.filter(pk=provider.pk).update(presence_state=presence)
    if categories:
        provider.categories.set(Category.objects.filter(slug__in=categories))
    search_writes.search_document_refresh(provider_id=provider.pk)
    return provider


def names(**kwargs) -> list[str]:
    return [p.display_name for p in provider_search(**kwargs).providers]


def found(query: str) -> set[str]:
    return set(names(query=query, page_size=100))


# --- Folding and grams (no database) ---------------------------------------------------------


def test_normalize_folds_width_and_case():
    assert search.normalize("ＬＩＮＥ") == search.normalize("Line") == "line"
    assert search.normalize("ｶﾀｶﾅ") == "カタカナ"
    assert search.normalize("ﾊﾞｲﾄ") == "バイト"  # half-width voiced marks compose
    assert search.normalize("①") == "1"


def test_grams_are_bigrams_per_run_then_the_last_character():
    assert search.grams("仕事です") == "仕事 事で です す"
    assert search.grams("恋愛・仕事") == "恋愛 愛 仕事 事"
    assert search.grams("a") == "a"
    assert search.grams("ＬＩＮＥで、猫") == "li in ne eで で 猫"
    assert search.grams("!!! 「」") == ""


def test_query_terms_are_word_runs_and_drop_words_inside_others():
    assert search.query_terms('恋愛 "仕事" OR NEAR(傾聴)') == ["恋愛", "仕事", "or", "near", "傾聴"]
    assert search.query_terms("恋愛相談 恋愛") == ["恋愛相談"]
    assert search.query_terms("  \x00\t ") == []
    assert search.query_terms("🙂") == []


def test_fts_expression_is_phrases_of_bigrams_and_prefixes():
    assert search.fts_expression(["恋愛相談", "猫"]) == '"恋愛 愛相 相談" AND "猫" *'


def test_highlight_maps_folded_matches_back_and_escapes():
    assert search.highlight("ＬＩＮＥ<b>で", ["line"]) == "<mark>ＬＩＮＥ</mark>&lt;b&gt;で"
    assert search.highlight("ｶﾀｶﾅの話", ["カタカナ"]) == "<mark>ｶﾀｶﾅ</mark>の話"
    assert search.highlight("恋愛と恋愛", ["恋愛"]) == "<mark>恋愛</mark>と<mark>恋愛</mark>"
    assert search.highlight("a&b", []) == "a&amp;b"


def test_snippet_is_around_the_first_match():
    text = "あ" * 200 + "傾聴" + "い" * 200
    result = search.snippet(text, ["傾聴"], width=40)
    assert result.startswith("…")
    assert result.endswith("…")
    assert "<mark>傾聴</mark>" in result
    assert len(result) < 80
    assert search.snippet("何もない", ["傾聴"]) is None


@given(st.text(), st.lists(st.text(min_size=1, max_size=5), max_size=3))
def test_highlight_never_breaks_and_keeps_the_text(text, terms):
    html = search.highlight(text, list(search.query_terms(" ".join(terms))))
    plain = html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in plain.replace("&lt;", "")
    assert plain == str(search.highlight(text, []))


# --- The FTS5 tokenizer keeps our bigrams whole ----------------------------------------------


@pytest.mark.skipif(sqlite3.sqlite_version_info < (3, 35), reason="needs FTS5 as shipped")
def test_unicode61_keeps_japanese_bigrams_whole():
    db = sqlite3.connect(":memory:")
    db.execute('CREATE VIRTUAL TABLE t USING fts5(g, tokenize="unicode61 remove_diacritics 0")')
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    ranges = [
        (0x3041, 0x3097),  # hiragana
        (0x30A1, 0x30FB),  # katakana
        (0x30FC, 0x30FF),  # ー ヽ ヾ ヿ
        (0x4E00, 0x9FFF),  # CJK unified ideographs
        (0x3005, 0x3007),  # 々 〆 〇
        (0x0030, 0x003A),  # digits
        (0x0061, 0x007B),  # latin
    ]
    chars = [
        chr(cp)
        for start, end in ranges
        for cp in range(start, end)
        if chr(cp).isalnum() and search.normalize(chr(cp)) == chr(cp)
    ]
    grams = " ".join(a + b for a, b in zip(chars, chars[1:] + chars[:1], strict=True))
    db.execute("INSERT INTO t(g) VALUES (?)", (grams,))
    terms = {row[0] for row in db.execute("SELECT term FROM v")}
    assert terms == set(grams.split())
    for char in search._FTS_BLIND:
        assert not search.fts_can_answer(char)


# --- Matching on the database ----------------------------------------------------------------


@pytest.mark.django_db
def test_two_character_words_find_what_they_should():
    make("恋愛カウンセラーあや", description="片思いも復縁もどうぞ")
    make("ハル", concept="仕事の愚痴を聞きます")
    make("そら", description="傾聴の講座を受けました")
    make("ゆう", tags=["転職"], description="キャリアの話")
    make("なお", description="恋の話と愛の話")  # 恋 and 愛 apart: not 恋愛
    assert found("恋愛") == {"恋愛カウンセラーあや"}
    assert found("仕事") == {"ハル"}
    assert found("傾聴") == {"そら"}
    assert found("転職") == {"ゆう"}  # a specialist tag
    assert found("恋") == {"恋愛カウンセラーあや", "なお"}  # one character
    assert found("聴") == {"そら"}
    assert found("恋愛 片思い") == {"恋愛カウンセラーあや"}  # AND
    assert found("恋愛 仕事") == set()
    assert found("カウンセラー") == {"恋愛カウンセラーあや"}  # longer phrase
    assert found("愛カ") == {"恋愛カウンセラーあや"}  # any substring
    assert found("愛の話") == {"なお"}


@pytest.mark.django_db
def test_phrases_do_not_match_across_punctuation():
    make("あ", description="恋、愛")
    make("い", description="恋愛")
    assert found("恋愛") == {"い"}
    make("う", description="ab bc")  # grams ab b bc c: "abc" must not match
    assert found("abc") == set()


@pytest.mark.django_db
def test_width_and_case_do_not_matter():
    make("ＬＩＮＥ相談のミナ")
    make("ｶﾀｶﾅ好きのカイ")
    make("はる", description="I use Line and ZOOM.")
    assert found("line") == {"ＬＩＮＥ相談のミナ", "はる"}
    assert found("ＬＩＮＥ") == {"ＬＩＮＥ相談のミナ", "はる"}
    assert found("カタカナ") == {"ｶﾀｶﾅ好きのカイ"}
    assert found("ｶﾀｶﾅ") == {"ｶﾀｶﾅ好きのカイ"}
    assert found("zoom") == {"はる"}


@pytest.mark.django_db
def test_hidden_providers_and_unpublished_posts_are_not_found():
    make("見える人", description="傾聴します")
    make("隠れた人", description="傾聴します", is_listed=False)
    post_provider = make(
        "ブログの人", posts=[("夜の話", "介護のこと", True), ("下書き", "秘密の推し活", False)]
    )
    assert found("傾聴") == {"見える人"}
    assert found("介護") == {"ブログの人"}
    assert found("推し活") == set()

    BlogPost.objects.filter(provider=post_provider, title="下書き").update(is_published=True)
    search_writes.search_document_refresh(provider_id=post_provider.pk)
    assert found("推し活") == {"ブログの人"}


@pytest.mark.django_db
def test_refresh_follows_edits_and_deletes():
    provider = make("みお", concept="ゆっくり聞きます")
    assert found("ゆっくり") == {"みお"}
    Provider.objects.filter(pk=provider.pk).update(concept="夜ふかし仲間です")
    search_writes.search_document_refresh(provider_id=provider.pk)
    assert found("ゆっくり") == set()
    assert found("夜ふかし") == {"みお"}
    provider_id = provider.pk
    provider.delete()
    assert not SearchDocument.objects.filter(provider_id=provider_id).exists()
    assert found("夜ふかし") == set()
    search_writes.search_document_refresh(provider_id=provider_id)  # gone: nothing to do


@pytest.mark.django_db
def test_rebuild_and_the_reindex_command():
    a = make("一番", description="傾聴")
    b = make("二番", description="仕事")
    SearchDocument.objects.all().delete()
    assert found("傾聴") == set()
    assert search_writes.search_documents_rebuild([a.pk]) == 1
    assert found("傾聴") == {"一番"}
    out = io.StringIO()
    call_command("search_reindex", stdout=out)
    assert "Rebuilt 2 search documents" in out.getvalue()
    assert found("仕事") == {"二番"}
    assert SearchDocument.objects.get(pk=b.pk).grams == search.grams("二番\nゆっくり聞きます\n仕事")


HOSTILE = [
    '"',
    '""""',
    "恋愛\"'",
    "NOT",
    "恋愛 AND",
    "OR 仕事",
    "NEAR(恋愛 仕事, 2)",
    "*",
    "傾*",
    "^恋愛",
    "grams:恋愛",
    "(((",
    "\x00\x01\x1f",
    "🙂🙃 恋愛 👩‍👩‍👧",
    "\u200b\u200d",
    "%_\\",
    "'; DROP TABLE storefront_provider; --",
    "恋" * 5000,
    "あい " * 400,
    "ᦰᦱ",  # letters FTS5's tokenizer does not index
]


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise(query):
    make("恋愛の人", description="恋愛と仕事の話 %_\\ NOT")
    result = provider_search(query=query)
    folded_terms = search.query_terms(query)
    expected = (
        {"恋愛の人"} if search.matches("恋愛の人\n恋愛と仕事の話 %_\\ NOT", folded_terms) else set()
    )
    assert {p.display_name for p in result.providers} == expected


# Text for random corpora: mostly Japanese, some Latin in both widths, punctuation, spaces.
ALPHABET = '恋愛仕事傾聴相談のはなしをきくカタカナーｶﾀﾅabcＡＢＣ 、。・!"*'
corpus_text = st.text(alphabet=ALPHABET, max_size=30)
query_text = st.text(alphabet=ALPHABET + "()^:\x00", min_size=1, max_size=8)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(corpus_text, corpus_text), min_size=1, max_size=6), query_text)
def test_search_equals_the_naive_reference(corpus, query):
    Provider.objects.all().delete()
    texts = {}
    for index, (concept, description) in enumerate(corpus):
        name = f"p{index}"
        make(name, concept=concept or "-", description=description)
        texts[name] = f"{name}\n{concept or '-'}\n{description}"
    terms = search.query_terms(query)
    expected = {name for name, text in texts.items() if search.matches(text, terms)}
    assert found(query) == expected
    if terms:  # both ways of matching, whichever the planner estimate would choose
        for broad in (False, True):
            sql, params = search.matching_provider_ids_sql(terms, broad=broad)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                ids = {row[0] for row in cursor.fetchall()}
            assert (
                set(Provider.objects.filter(pk__in=ids).values_list("display_name", flat=True))
                == expected
            )


# --- Filters and sorts -------------------------------------------------------------------------


@pytest.mark.django_db
def test_filters():
    make("声の人", offerings=[("voice", 100)], categories=["keicho"], presence="open")
    make("文字の人", offerings=[("chat", 50)], categories=["renai"], presence="in_session")
    make("両方の人", offerings=[("voice", 300), ("chat", 80)], presence="away")
    make("休止中", offerings=[("voice", 60, False)], presence="appointment")
    make("新人お断り", accepts_newcomers=False, presence="open")
    make("不在")
    assert set(names(category="keicho")) == {"声の人"}
    assert set(names(category="nope")) == set()
    assert set(names(channel="voice")) == {"声の人", "両方の人"}
    assert set(names(channel="chat")) == {"文字の人", "両方の人"}
    assert set(names(price_min=40, price_max=90)) == {"文字の人", "両方の人"}
    assert set(names(channel="voice", price_max=200)) == {"声の人"}  # not 休止中 (inactive)
    assert set(names(channel="voice", price_min=200)) == {"両方の人"}
    assert set(names(online=True)) == {"声の人", "文字の人", "休止中", "新人お断り"}
    assert set(names(newcomers=True)) == {"声の人"}
    assert set(names(newcomers=True, online=True)) == {"声の人"}


@pytest.mark.django_db
def test_sorts_with_ties_broken_by_newest_id():
    now = timezone.now()
    a = make("A", rank=1, recommend_score=50, rating_avg=Decimal("4.50"), rating_count=10,
             price_from=100, created_at=now - timedelta(days=3))  # fmt: skip
    b = make("B", rank=3, recommend_score=10, rating_avg=Decimal("4.50"), rating_count=30,
             price_from=None, created_at=now - timedelta(days=1))  # fmt: skip
    c = make("C", rank=3, recommend_score=20, rating_avg=Decimal("3.00"), rating_count=99,
             price_from=40, created_at=now - timedelta(days=2))  # fmt: skip
    d = make("D", rank=0, recommend_score=50, rating_avg=Decimal("5.00"), rating_count=1,
             price_from=100, created_at=now - timedelta(days=1))  # fmt: skip
    assert (a.pk, b.pk, c.pk) < (b.pk, c.pk, d.pk)
    assert names(sort="recommended") == ["D", "A", "C", "B"]
    assert names(sort="rank") == ["C", "B", "A", "D"]
    assert names(sort="rating") == ["D", "B", "A", "C"]
    assert names(sort="price") == ["C", "D", "A", "B"]
    assert names(sort="newest") == ["D", "B", "C", "A"]
    assert names(sort="bogus") == names(sort="recommended")
    # whoever is waiting for callers now comes first in the default order
    Provider.objects.filter(pk=b.pk).update(presence_state="open")
    Provider.objects.filter(pk=d.pk).update(presence_state="in_session")
    assert names(sort="recommended") == ["B", "D", "A", "C"]
    assert names(sort="rank") == ["C", "B", "A", "D"]  # other sorts keep their own order


@pytest.mark.django_db
def test_pagination_and_capped_counts(settings):
    for n in range(45):
        make(f"人{n:02}", recommend_score=n)
    first = provider_search(page=1, page_size=20)
    assert [p.display_name for p in first.providers][:2] == ["人44", "人43"]
    assert (first.count, first.count_capped, first.has_next, first.num_pages) == (
        45,
        False,
        True,
        3,
    )
    third = provider_search(page=3, page_size=20)
    assert [p.display_name for p in third.providers] == ["人04", "人03", "人02", "人01", "人00"]
    assert not third.has_next
    assert third.has_previous
    assert provider_search(page=9, page_size=20).providers == []

    settings.DEBUG = False
    original = search_selectors.SEARCH_COUNT_CAP
    search_selectors.SEARCH_COUNT_CAP = 30
    try:
        capped = provider_search(page=1, page_size=20)
        assert (capped.count, capped.count_capped, capped.num_pages) == (30, True, None)
    finally:
        search_selectors.SEARCH_COUNT_CAP = original


# --- The page -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_highlights_and_escapes(client):
    make(
        "<script>alert(1)</script>恋愛のあや",
        concept="恋愛<b>相談</b>",
        description="はじめまして。" * 20 + "恋愛の話を<i>どうぞ</i>。" + "おわり。" * 20,
        tags=["恋愛<u>"],
    )
    response = client.get(reverse(INDEX), {"q": "恋愛"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>恋愛</mark>のあや" in html
    assert "<mark>恋愛</mark>&lt;b&gt;相談&lt;/b&gt;" in html
    assert "<mark>恋愛</mark>の話を&lt;i&gt;どうぞ&lt;/i&gt;" in html
    assert "<mark>恋愛</mark>&lt;u&gt;" in html
    assert "<i>" not in html
    assert "<u>" not in html


@pytest.mark.django_db
def test_snippet_from_a_blog_post_when_the_profile_has_no_match(client):
    make("ブロガー", posts=[("夜の話", "今日は**介護**の話をします。", True)])
    response = client.get(reverse(INDEX), {"q": "介護"})
    assert "<mark>介護</mark>" in response.content.decode()
    assert "**" not in response.content.decode()


@pytest.mark.django_db
def test_card_shows_rank_rating_price_presence_and_newcomers(client):
    make(
        "カードの人",
        rank=3,
        rating_avg=Decimal("4.25"),
        rating_count=12,
        price_from=120,
        presence="open",
        categories=["keicho"],
        accepts_newcomers=True,
    )
    html = client.get(reverse(INDEX)).content.decode()
    assert "rank-badge rank-3" in html
    assert "4.3" in html
    assert "12" in html
    assert "120" in html
    assert "presence-open" in html
    assert "tag-welcome" in html
    make("オフラインの人")
    assert "presence-offline" in client.get(reverse(INDEX), {"q": "オフライン"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price_min": "abc"}, "price_min"),
        ({"price_min": "-5"}, "price_min"),
        ({"price_min": "300", "price_max": "100"}, "price_max"),
        ({"channel": "fax"}, "channel"),
        ({"category": "no-such"}, "category"),
        ({"sort": "cheapest"}, "sort"),
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "1" + "0" * 12}, "page"),
        ({"q": "恋" * 101}, "q"),
    ],
)
def test_invalid_filters_are_field_errors(client, params, field):
    response = client.get(reverse(INDEX), params)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert b"field-error" in response.content
    assert b'role="search"' in response.content


@pytest.mark.django_db
def test_pages_past_the_last_are_the_last_allowed_or_empty(client):
    make("ひとり")
    response = client.get(reverse(INDEX), {"page": str(MAX_PAGE + 50)})
    assert response.status_code == 200
    assert response.context["results"].number == MAX_PAGE
    assert response.context["results"].providers == []
    assert "page=1" in response.content.decode()


@pytest.mark.django_db
def test_control_characters_and_quotes_in_the_page(client):
    make("引用の人", description="恋愛")
    response = client.get(reverse(INDEX), {"q": '"恋愛"\x00 OR'})
    assert response.status_code == 200
    assert response.context["results"].terms == ["恋愛", "or"]


@pytest.mark.django_db
def test_no_results_suggests_removing_filters_and_pager_keeps_the_query(client):
    for n in range(25):
        make(f"傾聴{n}", offerings=[("voice", 100)])
    response = client.get(reverse(INDEX), {"q": "傾聴", "channel": "voice"})
    html = response.content.decode()
    assert "page=2" in html
    assert "q=%E5%82%BE%E8%81%B4" in html
    assert "channel=voice" in html
    empty = client.get(reverse(INDEX), {"q": "傾聴", "channel": "chat"}).content.decode()
    assert "no-results" in empty
    # The suggestion links to the same words without the filters.
    assert f'href="{reverse(INDEX)}?q=%E5%82%BE%E8%81%B4"' in empty


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_results(client, django_assert_max_num_queries):
    for n in range(25):
        make(
            f"恋愛{n}",
            tags=["介護", "転職"],
            categories=["renai", "keicho"],
            presence="open" if n % 2 else None,
            offerings=[("voice", 100 + n)],
            posts=[("記事", "恋愛の話", True)],
        )
    # Categories (form), plan choice (SQLite: one vocabulary look-up per bigram, and the
    # cached provider total), page ids, count, providers, their categories, tags,
    # photos (the card's portrait) and their upcoming events (a section of the events app).
    with django_assert_max_num_queries(11):
        response = client.get(reverse(INDEX), {"q": "恋愛", "sort": "price"})
    assert len(response.context["results"].providers) == 20
    with django_assert_max_num_queries(10):
        client.get(reverse(INDEX), {"q": "恋愛", "online": "on", "channel": "voice"})


@pytest.mark.django_db
def test_home_page_has_a_search_box(client):
    html = client.get(reverse("site:home") if _has_url("site:home") else "/").content.decode()
    assert 'name="q"' in html
    assert reverse(INDEX) in html


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def test_alphabet_is_foldable():
    # The property test relies on folding being idempotent for its alphabet.
    for char in ALPHABET:
        assert search.normalize(search.normalize(char)) == search.normalize(char)
        assert unicodedata.category(char) != "Cs"
