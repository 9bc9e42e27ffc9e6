import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput
from aizuchi.storefront.models import ConceptVersion, Provider, ProviderTag, SearchDocument
from aizuchi.storefront.services import profile as services
from aizuchi.storefront.strings import CONCEPT_REQUIRED, NAME_REQUIRED, UNKNOWN_CATEGORY

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db

URL = "/providers/me/profile/"


def opened(user, concept="夜でも、ゆっくり聞きます"):
    return services.provider_open(
        user=user, display_name="はるか", concept=concept, category_slugs=["keicho"]
    )


def profile_args(**changes):
    return {
        "display_name": "聞き上手のはるか",
        "concept": "夜でも、ゆっくり聞きます",
        "description": "看護師を10年。\n夜勤明けの話し相手です。",
        "category_slugs": ["keicho", "zatsudan"],
        "tags": "介護、転職, 子育て",
        "accepts_newcomers": True,
        "is_listed": True,
        **changes,
    }


def snapshot(provider_id):
    """Everything the profile service may write, to compare before and after."""
    p = Provider.objects.get(pk=provider_id)
    return (
        p.display_name,
        p.concept,
        p.description,
        p.accepts_newcomers,
        p.is_listed,
        p.updated_at,
        sorted(p.categories.values_list("slug", flat=True)),
        list(p.tags.values_list("name", flat=True)),
        list(p.concepts.values_list("number", "text")),
    )


# --- service -----------------------------------------------------------------------------


def test_opening_starts_concept_version_one_and_a_search_document(user):
    provider = opened(user)
    versions = list(provider.concepts.all())
    assert [(v.number, v.text) for v in versions] == [(1, "夜でも、ゆっくり聞きます")]
    assert versions[0].started_at == provider.created_at
    assert "ゆっくり" in SearchDocument.objects.get(provider=provider).text


def test_update_saves_every_field(user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider, **profile_args(accepts_newcomers=False, is_listed=False)
    )
    provider = Provider.objects.get(pk=provider.pk)
    assert provider.display_name == "聞き上手のはるか"
    assert provider.description == "看護師を10年。\n夜勤明けの話し相手です。"
    assert sorted(c.slug for c in provider.categories.all()) == ["keicho", "zatsudan"]
    assert [t.name for t in provider.tags.all()] == ["介護", "転職", "子育て"]
    assert provider.accepts_newcomers is False
    assert provider.is_listed is False


def test_a_changed_concept_starts_a_new_version_and_the_same_one_does_not(user):
    with time_machine.travel(dt.datetime(2025, 4, 1, 12, tzinfo=dt.UTC), tick=False):
        provider = opened(user)
    later = dt.datetime(2025, 5, 1, 9, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        services.provider_update_profile(
            provider=provider, **profile_args(concept="恋愛の悩み専門")
        )
    provider.refresh_from_db()
    assert provider.concept == "恋愛の悩み専門"
    assert provider.updated_at == later
    versions = list(ConceptVersion.objects.filter(provider=provider).order_by("number"))
    assert [(v.number, v.text) for v in versions] == [
        (1, "夜でも、ゆっくり聞きます"),
        (2, "恋愛の悩み専門"),
    ]
    assert versions[1].started_at == later

    # Saving again with the same concept (other fields changed) starts no version.
    services.provider_update_profile(
        provider=provider, **profile_args(concept="  恋愛の悩み専門 ", display_name="はる")
    )
    assert provider.concepts.count() == 2
    # Going back to an old concept is a change too: a new version.
    services.provider_update_profile(provider=provider, **profile_args())
    assert list(provider.concepts.order_by("number").values_list("number", "text"))[-1] == (
        3,
        "夜でも、ゆっくり聞きます",
    )


def test_a_storefront_from_before_versions_gets_its_old_concept_as_version_one(user):
    provider = ProviderFactory(user=user, concept="昔のコンセプト")
    assert not provider.concepts.exists()
    services.provider_update_profile(provider=provider, **profile_args(concept="新しいコンセプト"))
    assert list(provider.concepts.order_by("number").values_list("number", "text")) == [
        (1, "昔のコンセプト"),
        (2, "新しいコンセプト"),
    ]


def test_the_search_document_follows_the_profile(user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider, **profile_args(description="発達障害のご家族の話も聞きます", tags="介護")
    )
    document = SearchDocument.objects.get(provider=provider).text
    assert "発達障害" in document
    assert "介護" in document


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("介護、転職, 子育て", ["介護", "転職", "子育て"]),
        ("  介護 ,,、 ", ["介護"]),
        ("ＨＳＰ，hsp、ＨＳＰ", ["HSP"]),  # NFKC (full-width), then duplicates ignoring case
        ("ｶｳﾝｾﾘﾝｸﾞ、カウンセリング", ["カウンセリング"]),  # half-width kana fold
        ("夜  型", ["夜 型"]),
        (
            "#傾聴、傾聴、＃ 不安",
            ["傾聴", "不安"],
        ),  # shown as 「#傾聴」: the mark is not typed twice
        ("#", []),
        ("", []),
    ],
)
def test_tags_are_normalised(user, typed, saved):
    provider = opened(user)
    services.provider_update_profile(provider=provider, **profile_args(tags=typed))
    assert list(ProviderTag.objects.filter(provider=provider).values_list("name", flat=True)) == (
        saved
    )


def test_tags_are_replaced_not_added(user):
    provider = opened(user)
    services.provider_update_profile(provider=provider, **profile_args(tags=["介護", "転職"]))
    services.provider_update_profile(provider=provider, **profile_args(tags=["転職", "育児"]))
    assert sorted(provider.tags.values_list("name", flat=True)) == ["育児", "転職"]


TEN_TAGS = "、".join(f"話題{i}" for i in range(10))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"display_name": "  "}, "display_name", NAME_REQUIRED),
        ({"display_name": "名" * 41}, "display_name", "Keep the name to 40 characters."),
        ({"concept": ""}, "concept", CONCEPT_REQUIRED),
        ({"concept": "  \n "}, "concept", CONCEPT_REQUIRED),
        ({"concept": "あ" * 81}, "concept", "Keep the concept to 80 characters."),
        (
            {"description": "あ" * 4001},
            "description",
            "Keep the description to 4000 characters.",
        ),
        ({"category_slugs": []}, "categories", "Choose at least one category."),
        ({"category_slugs": ["keicho", "nonsense"]}, "categories", UNKNOWN_CATEGORY),
        ({"tags": TEN_TAGS + "、十一個目"}, "tags", "Up to 10 tags."),
        (
            {"tags": "あ" * 21},
            "tags",
            "The tag “" + "あ" * 21 + "” is too long: at most 20 characters per tag.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_nothing_changes(user, changes, field, message):
    provider = opened(user)
    before = snapshot(provider.pk)
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        services.provider_update_profile(
            provider=provider, **profile_args(**{"concept": "新しい一行", **changes})
        )
    with translation.override("en"):
        assert [str(m) for m in caught.value.errors[field]] == [str(message)]
    assert snapshot(provider.pk) == before


def test_exactly_at_the_limits_is_accepted(user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider,
        **profile_args(
            display_name="名" * 40,
            concept="あ" * 80,
            description="い" * 4000,
            tags=TEN_TAGS[: -len("話題9")] + "う" * 20,
        ),
    )
    provider.refresh_from_db()
    assert provider.concept == "あ" * 80
    assert provider.tags.count() == 10
    assert provider.tags.filter(name="う" * 20).exists()


def test_duplicates_do_not_count_towards_the_tag_limit(user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider, **profile_args(tags=TEN_TAGS + "、話題0、話題1")
    )
    assert provider.tags.count() == 10


# --- pages -------------------------------------------------------------------------------


def form_data(**changes):
    data = {
        "display_name": "聞き上手のはるか",
        "concept": "夜でも、ゆっくり聞きます",
        "description": "看護師を10年。",
        "categories": ["keicho"],
        "tags": "介護、転職",
        "accepts_newcomers": "on",
        "is_listed": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_form_history_and_preview(client, user):
    provider = opened(user)
    services.provider_update_profile(provider=provider, **profile_args(concept="二代目の一行"))
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="聞き上手のはるか"' in html
    assert "data-preview-concept" in html
    assert "二代目の一行" in html
    assert "夜でも、ゆっくり聞きます" in html
    assert "profile_preview.js" in html
    assert 'aria-current="page"' in html
    assert URL in html


def test_posting_saves_and_redirects(client, user):
    provider = opened(user)
    client.force_login(user)
    response = client.post(URL, form_data(concept="恋愛の悩み、聞きます"))
    assert response.status_code == 302
    assert response.url == URL
    provider.refresh_from_db()
    assert provider.concept == "恋愛の悩み、聞きます"
    assert provider.concepts.count() == 2
    assert sorted(provider.tags.values_list("name", flat=True)) == ["介護", "転職"]


def test_unticked_boxes_turn_the_flags_off(client, user):
    provider = opened(user)
    client.force_login(user)
    client.post(URL, form_data(accepts_newcomers=None, is_listed=None))
    provider.refresh_from_db()
    assert provider.accepts_newcomers is False
    assert provider.is_listed is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "名" * 41}, "display_name"),
        ({"display_name": "はるか\u202eｓｐ"}, "display_name"),
        ({"display_name": "\u200b\u200b"}, "display_name"),
        ({"display_name": "\u3164"}, "display_name"),
        ({"concept": ""}, "concept"),
        ({"concept": "あ" * 81}, "concept"),
        ({"description": "あ" * 4001}, "description"),
        ({"categories": []}, "categories"),
        ({"categories": ["nonsense"]}, "categories"),
        ({"tags": TEN_TAGS + "、十一個目"}, "tags"),
        ({"tags": "あ" * 21}, "tags"),
        ({"tags": "、" * 501}, "tags"),
    ],
)
def test_bad_posts_answer_400_with_the_field_error_and_change_nothing(client, user, changes, field):
    provider = opened(user)
    before = snapshot(provider.pk)
    client.force_login(user)
    response = client.post(URL, form_data(**{"concept": "新しい一行", **changes}))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    assert 'class="field-error"' in response.content.decode()
    assert snapshot(provider.pk) == before


def test_an_empty_concept_says_so_clearly(client, user):
    opened(user)
    user.language = "en"
    user.save()
    client.force_login(user)
    response = client.post(URL, form_data(concept=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, user):
    provider = opened(user)
    before = snapshot(provider.pk)
    for method in (client.get, client.post):
        response = method(URL, form_data(concept="乗っ取り"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert snapshot(provider.pk) == before


def test_another_persons_post_only_ever_reaches_their_own_storefront(client, user, other_user):
    mine = opened(user)
    before = snapshot(mine.pk)
    # Without a storefront of their own: sent to open one, nothing written.
    client.force_login(other_user)
    response = client.post(URL, form_data(concept="乗っ取り", provider=mine.pk))
    assert response.status_code == 302
    assert response.url == reverse("storefront:open")
    assert snapshot(mine.pk) == before
    # With one: the post changes theirs, never mine, whatever identifiers it carries.
    theirs = opened(other_user, concept="別の人")
    response = client.post(
        URL + f"?provider={mine.pk}", form_data(concept="乗っ取り", provider=mine.pk)
    )
    assert response.status_code == 302
    assert snapshot(mine.pk) == before
    theirs.refresh_from_db()
    assert theirs.concept == "乗っ取り"


# --- public page -------------------------------------------------------------------------


def test_the_public_page_shows_head_and_about(client, user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider,
        **profile_args(description="一行目\n二行目", tags="介護、転職"),
    )
    Provider.objects.filter(pk=provider.pk).update(rank=2, rating_avg="4.25", rating_count=12)
    html = client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    assert "聞き上手のはるか" in html
    assert "夜でも、ゆっくり聞きます" in html
    assert "一行目<br>二行目" in html
    assert "#介護" in html
    assert "#転職" in html
    assert "傾聴" in html  # category
    assert "rank-badge rank-2" in html
    assert "4.3（レビュー12件）" in html  # rating_avg rounded to one place, with the count
    assert "presence-offline" in html  # never went on standby


def test_presence_in_session_looks_different_from_offline(client, user):
    from aizuchi.storefront.models import PresenceState as State

    provider = opened(user)
    Provider.objects.filter(pk=provider.pk).update(presence_state=State.IN_SESSION)
    html = client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    assert "presence-in_session" in html
    assert "presence-offline" not in html


def test_description_is_escaped(client, user):
    provider = opened(user)
    services.provider_update_profile(
        provider=provider, **profile_args(description="<script>alert(1)</script>")
    )
    html = client.get(reverse("storefront:detail", args=[provider.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ja", "名前には、画面に表示されない文字"),
        ("en", "Use characters people can see"),
    ],
)
def test_an_invisible_override_in_the_name_is_a_field_error_in_the_viewers_language(
    client, user, language, message
):
    provider = opened(user)
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    response = client.post(URL, form_data(display_name="はるか\u202e"))
    assert response.status_code == 400
    assert response.context["form"].errors["display_name"]
    assert message in response.content.decode()
    provider.refresh_from_db()
    assert provider.display_name == "はるか"


def test_a_name_typed_in_full_width_is_stored_plainly(client, user):
    provider = opened(user)
    client.force_login(user)
    response = client.post(URL, form_data(display_name="  ＨＡＲＵＫＡ　　ｻﾝ "))
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.display_name == "HARUKA サン"


@given(st.lists(st.text(max_size=12), max_size=8))
def test_normalised_tags_are_clean_distinct_and_stable(names):
    tags = services.tags_normalize(names)
    assert all(tag and tag == tag.strip() and not tag.startswith("#") for tag in tags)
    assert len({tag.casefold() for tag in tags}) == len(tags)
    # Normalising again changes nothing, and a tag typed with its mark is the same tag.
    assert services.tags_normalize(tags) == tags
    assert services.tags_normalize(["#" + tag for tag in tags]) == tags
