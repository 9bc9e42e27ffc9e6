import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from aizuchi.accounts.forms import FirstRunForm, ProfileForm
from aizuchi.accounts.time_zones import COMMON_TIME_ZONES, time_zone_choices, time_zone_label

FIRST = ["Asia/Tokyo", "Asia/Seoul", "Asia/Taipei", "Asia/Shanghai"]


def _flat(choices) -> list[str]:
    return [value for _group, options in choices for value, _label in options]


def test_common_zones_come_first_and_every_zone_is_offered_once():
    values = _flat(time_zone_choices())
    assert values[: len(FIRST)] == FIRST
    assert values.index("Europe/London") < values.index("Africa/Abidjan")
    assert values.index("America/New_York") < values.index("Africa/Abidjan")
    assert len(values) == len(set(values))
    # Every zone the model accepts can be chosen again, so no saved profile is stuck.
    assert set(values) == zoneinfo.available_timezones()
    rest = values[len(COMMON_TIME_ZONES) :]
    assert rest == sorted(rest)


def test_labels_are_japanese_on_japanese_pages_and_english_on_english_ones():
    with translation.override("ja"):
        assert str(time_zone_label("Asia/Tokyo")) == "日本（東京）"
        common = dict(time_zone_choices()[0][1])
        assert str(common["America/Los_Angeles"]) == "アメリカ西部（ロサンゼルス）"
        assert str(time_zone_choices()[0][0]) == "よく使うタイムゾーン"
    with translation.override("en"):
        assert str(time_zone_label("Asia/Tokyo")) == "Japan (Tokyo)"
    assert time_zone_label("America/Argentina/Buenos_Aires") == "America/Argentina/Buenos Aires"


@pytest.mark.parametrize("form_class", [ProfileForm, FirstRunForm])
def test_every_form_uses_the_one_list(form_class):
    assert form_class().fields["time_zone"].choices == time_zone_choices()


@pytest.mark.django_db
def test_the_profile_page_lists_japan_first_in_japanese(client, user):
    client.force_login(user)
    with translation.override("ja"):
        html = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    select = html[html.index('name="time_zone"') :]
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select)
    assert options[0] == ("Asia/Tokyo", "日本（東京）")
    assert '<optgroup label="よく使うタイムゾーン">' in select
    assert 'value="Asia/Tokyo" selected' in select
