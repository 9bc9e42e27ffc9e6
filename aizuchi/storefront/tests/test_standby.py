import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput
from aizuchi.storefront.models import Provider, StandbyWindow
from aizuchi.storefront.selectors.standby import standby_plan, standby_plan_for_viewer
from aizuchi.storefront.services.standby import MINUTES_PER_WEEK, WindowSpec, standby_plan_set

from .factories import ProviderFactory

pytestmark = pytest.mark.django_db

URL = "/providers/me/standby/"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
LA = zoneinfo.ZoneInfo("America/Los_Angeles")
OPEN, APPOINTMENT = StandbyWindow.Kind.OPEN, StandbyWindow.Kind.APPOINTMENT


def w(weekday, hh, mm, minutes, kind=OPEN):
    return WindowSpec(weekday=weekday, start_time=dt.time(hh, mm), minutes=minutes, kind=kind)


def rows(provider):
    return list(
        StandbyWindow.objects.filter(provider=provider)
        .order_by("weekday", "start_time")
        .values_list("weekday", "start_time", "minutes", "kind")
    )


def provider_in(zone="Asia/Tokyo"):
    provider = ProviderFactory()
    provider.user.time_zone = zone
    provider.user.save()
    return provider


# --- setting the plan --------------------------------------------------------------------


def test_the_plan_is_replaced_as_a_whole():
    provider = provider_in()
    standby_plan_set(provider=provider, windows=[w(MON, 21, 0, 120), w(WED, 9, 30, 60)])
    standby_plan_set(
        provider=provider,
        windows=[
            w(FRI, 22, 0, 180, APPOINTMENT),
            {"weekday": "1", "start_time": "08:15", "minutes": "45", "kind": "open"},
        ],
    )
    assert rows(provider) == [
        (TUE, dt.time(8, 15), 45, OPEN),
        (FRI, dt.time(22, 0), 180, APPOINTMENT),
    ]
    standby_plan_set(provider=provider, windows=[])
    assert rows(provider) == []


def test_windows_that_touch_but_do_not_overlap_are_fine():
    provider = provider_in()
    standby_plan_set(
        provider=provider,
        windows=[
            w(MON, 20, 0, 60),
            w(MON, 21, 0, 60),
            w(SUN, 23, 0, 60),  # ends Monday 00:00 sharp
            w(MON, 0, 0, 15),
            w(TUE, 0, 0, 1440),  # the whole of Tuesday
        ],
    )
    assert len(rows(provider)) == 5


BASE_PLAN = [w(MON, 21, 0, 60)]
_appointment = {"weekday": 1, "start_time": dt.time(9), "minutes": 60, "kind": "appointment"}


@pytest.mark.parametrize(
    ("windows", "field"),
    [
        # Overlaps, also across midnight and from Sunday night into Monday.
        ([w(TUE, 20, 0, 120), w(TUE, 21, 0, 30)], "1-start_time"),
        ([w(TUE, 20, 0, 60), w(TUE, 20, 0, 60)], "1-start_time"),
        ([w(TUE, 23, 0, 120), w(WED, 0, 30, 30)], "1-start_time"),
        ([w(WED, 0, 30, 30), w(TUE, 23, 0, 120)], "1-start_time"),
        ([w(SUN, 23, 0, 120), w(MON, 0, 30, 60)], "1-start_time"),
        ([w(MON, 0, 0, 60), w(SUN, 23, 30, 45)], "1-start_time"),
        ([w(MON, 0, 0, 1440), w(MON, 23, 59, 15)], "1-start_time"),
        # Bad values, whatever the zone.
        ([w(7, 21, 0, 60)], "0-weekday"),
        ([{"weekday": -1, "start_time": dt.time(9), "minutes": 60}], "0-weekday"),
        ([{"weekday": "月", "start_time": dt.time(9), "minutes": 60}], "0-weekday"),
        ([{"weekday": None, "start_time": dt.time(9), "minutes": 60}], "0-weekday"),
        ([{"weekday": 1, "start_time": "25:00", "minutes": 60}], "0-start_time"),
        ([{"weekday": 1, "start_time": None, "minutes": 60}], "0-start_time"),
        ([w(TUE, 9, 0, 14)], "0-minutes"),
        ([w(TUE, 9, 0, 1441)], "0-minutes"),
        ([w(TUE, 9, 0, 0)], "0-minutes"),
        ([{"weekday": 1, "start_time": dt.time(9), "minutes": "1.5"}], "0-minutes"),
        ([w(TUE, 9, 0, 60, kind="vip")], "0-kind"),
        # Kept for ranks: a rank from 1 to 10, on an appointment window only.
        ([{**_appointment, "tiers_only": 0}], "0-tiers_only"),
        ([{**_appointment, "tiers_only": 11}], "0-tiers_only"),
        ([{**_appointment, "tiers_only": "上位"}], "0-tiers_only"),
        ([{**_appointment, "kind": OPEN, "tiers_only": 1}], "0-tiers_only"),
        # The whole plan.
        ([w(d % 7, (d // 7) * 5, 0, 60) for d in range(29)], "windows"),
    ],
)
def test_a_bad_plan_is_refused_with_a_field_error_and_nothing_changes(windows, field):
    provider = provider_in()
    standby_plan_set(provider=provider, windows=BASE_PLAN)
    before = rows(provider), Provider.objects.get(pk=provider.pk).updated_at
    with pytest.raises(InvalidInput) as caught:
        standby_plan_set(provider=provider, windows=windows)
    assert field in caught.value.errors, caught.value.errors
    assert (rows(provider), Provider.objects.get(pk=provider.pk).updated_at) == before


def test_twenty_eight_windows_are_allowed():
    provider = provider_in()
    plan = [w(d % 7, (d // 7) * 5, 0, 60) for d in range(28)]
    standby_plan_set(provider=provider, windows=plan)
    assert len(rows(provider)) == 28


def _minutes_of(window: WindowSpec) -> set[int]:
    start = window.weekday * 1440 + window.start_time.hour * 60 + window.start_time.minute
    return {(start + i) % MINUTES_PER_WEEK for i in range(window.minutes)}


_WINDOW = st.builds(
    WindowSpec,
    weekday=st.integers(0, 6),
    start_time=st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    minutes=st.integers(15, 1440),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(windows=st.lists(_WINDOW, max_size=5))
def test_a_plan_is_accepted_exactly_when_no_two_windows_share_a_minute(windows):
    provider = provider_in()
    sets = [_minutes_of(window) for window in windows]
    disjoint = sum(len(s) for s in sets) == len(set().union(*sets))
    if disjoint:
        standby_plan_set(provider=provider, windows=windows)
        assert len(rows(provider)) == len(windows)
    else:
        with pytest.raises(InvalidInput) as caught:
            standby_plan_set(provider=provider, windows=windows)
        assert any(key.endswith("-start_time") for key in caught.value.errors)
        assert rows(provider) == []


# --- the plan from the viewer's side -----------------------------------------------------


def slots_by_day(plan):
    return {
        day.date.isoformat(): [
            (s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.kind) for s in day.slots
        ]
        for day in plan.days
    }


def test_the_plan_is_shown_in_the_viewers_zone_across_a_dst_change():
    # Every day 10:00–11:00 in Tokyo (no DST). Los Angeles moves to PDT on Sunday
    # 9 March 2025 at 02:00: the same Tokyo morning is 17:00 PST before, 18:00 PDT after.
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(d, 10, 0, 60) for d in range(7)])
    now = dt.datetime(2025, 3, 6, 12, 0, tzinfo=LA)  # Thursday noon in Los Angeles
    plan = standby_plan_for_viewer(provider=provider, viewer_zone="America/Los_Angeles", now=now)
    assert plan.zone_name == "America/Los_Angeles"
    assert [d.date for d in plan.days] == [dt.date(2025, 3, 6 + i) for i in range(7)]
    assert plan.days[0].is_today
    by_day = slots_by_day(plan)
    assert by_day["2025-03-06"] == [("17:00", "18:00", OPEN)]
    assert by_day["2025-03-08"] == [("17:00", "18:00", OPEN)]  # Sunday 9th 10:00 in Tokyo
    assert by_day["2025-03-09"] == [("18:00", "19:00", OPEN)]  # PDT from here on
    assert by_day["2025-03-12"] == [("18:00", "19:00", OPEN)]
    for day in plan.days:
        for slot in day.slots:
            assert slot.start.tzinfo.key == "America/Los_Angeles"
            assert slot.end.astimezone(dt.UTC) - slot.start.astimezone(dt.UTC) == dt.timedelta(
                hours=1
            )
            # The same instant as 10:00 in Tokyo.
            assert slot.start.astimezone(TOKYO).time() == dt.time(10, 0)


def test_a_window_crossing_midnight_is_listed_on_the_day_it_starts():
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(SAT, 23, 0, 180, APPOINTMENT)])
    now = dt.datetime(2025, 6, 2, 12, 0, tzinfo=TOKYO)  # Monday
    plan = standby_plan_for_viewer(provider=provider, viewer_zone="Asia/Tokyo", now=now)
    by_day = slots_by_day(plan)
    assert by_day["2025-06-07"] == [("23:00", "02:00", APPOINTMENT)]
    slot = plan.days[5].slots[0]
    assert slot.ends_day_after
    assert not slot.starts_day_before
    assert slot.end.date() == dt.date(2025, 6, 8)
    assert sum(len(day.slots) for day in plan.days) == 1


def test_sunday_night_into_monday_seen_from_los_angeles():
    # Sunday 23:00 JST + 2 h = Sunday 14:00–16:00 UTC = Sunday 07:00–09:00 PDT.
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(SUN, 23, 0, 120)])
    now = dt.datetime(2025, 6, 2, 12, 0, tzinfo=LA)  # Monday in Los Angeles
    plan = standby_plan_for_viewer(provider=provider, viewer_zone="America/Los_Angeles", now=now)
    assert slots_by_day(plan)["2025-06-08"] == [("07:00", "09:00", OPEN)]
    assert not plan.days[6].slots[0].ends_day_after


def test_a_window_running_into_today_is_listed_today_and_marked_now():
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(SUN, 22, 0, 240), w(MON, 20, 0, 60)])
    now = dt.datetime(2025, 6, 2, 1, 30, tzinfo=TOKYO)  # Monday 01:30, inside Sunday's window
    plan = standby_plan_for_viewer(provider=provider, viewer_zone=TOKYO, now=now)
    today = plan.days[0]
    assert today.date == dt.date(2025, 6, 2)
    assert [(s.start.strftime("%H:%M"), s.is_now, s.starts_day_before) for s in today.slots] == [
        ("22:00", True, True),
        ("20:00", False, False),
    ]
    assert plan.current is today.slots[0]
    # Sunday's window of the coming week is listed on its own day at the end.
    assert plan.days[6].slots[0].start == dt.datetime(2025, 6, 8, 22, 0, tzinfo=TOKYO)


def test_nothing_is_current_between_windows_and_past_windows_are_marked():
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(MON, 9, 0, 60), w(MON, 20, 0, 60)])
    now = dt.datetime(2025, 6, 2, 12, 0, tzinfo=TOKYO)
    plan = standby_plan_for_viewer(provider=provider, viewer_zone="Asia/Tokyo", now=now)
    assert plan.current is None
    assert [(s.is_past, s.is_now) for s in plan.days[0].slots] == [(True, False), (False, False)]


def test_a_provider_with_dst_keeps_wall_clock_times():
    # A provider in Los Angeles plans Saturdays 18:00–20:00 their time.
    provider = provider_in("America/Los_Angeles")
    standby_plan_set(provider=provider, windows=[w(SAT, 18, 0, 120)])
    before = standby_plan_for_viewer(
        provider=provider, viewer_zone=TOKYO, now=dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    )
    after = standby_plan_for_viewer(
        provider=provider, viewer_zone=TOKYO, now=dt.datetime(2025, 3, 10, tzinfo=dt.UTC)
    )
    # Saturday 18:00 PST = Sunday 11:00 JST; Saturday 18:00 PDT = Sunday 10:00 JST.
    assert [s for d in before.days for s in d.slots][0].start == dt.datetime(
        2025, 3, 9, 11, 0, tzinfo=TOKYO
    )
    assert [s for d in after.days for s in d.slots][0].start == dt.datetime(
        2025, 3, 16, 10, 0, tzinfo=TOKYO
    )


def test_a_window_over_the_clock_change_keeps_its_wall_clock_end():
    # Sunday 9 March 2025 in Los Angeles, 01:00 + 120 min wall clock = 03:00 PDT: one real hour.
    provider = provider_in("America/Los_Angeles")
    standby_plan_set(provider=provider, windows=[w(SUN, 1, 0, 120)])
    plan = standby_plan_for_viewer(
        provider=provider, viewer_zone=LA, now=dt.datetime(2025, 3, 8, 12, tzinfo=LA)
    )
    slot = [s for d in plan.days for s in d.slots][0]
    assert (slot.start.strftime("%H:%M"), slot.end.strftime("%H:%M")) == ("01:00", "03:00")
    # (Aware datetimes in one zone subtract as wall clock; in UTC it is real time.)
    assert slot.end.astimezone(dt.UTC) - slot.start.astimezone(dt.UTC) == dt.timedelta(hours=1)


def test_an_unknown_zone_falls_back_to_tokyo():
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(MON, 9, 0, 60)])
    plan = standby_plan_for_viewer(
        provider=provider, viewer_zone="Mars/Olympus", now=dt.datetime(2025, 6, 2, tzinfo=dt.UTC)
    )
    assert plan.zone_name == "Asia/Tokyo"


# --- pages -------------------------------------------------------------------------------


def formset_data(windows, *, initial=0, extra_blank=0):
    data = {
        "windows-TOTAL_FORMS": str(len(windows) + extra_blank),
        "windows-INITIAL_FORMS": str(initial),
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(windows):
        for key, value in row.items():
            data[f"windows-{i}-{key}"] = value
    for i in range(len(windows), len(windows) + extra_blank):
        # What an untouched blank row of the page sends.
        data.update({f"windows-{i}-weekday": "0", f"windows-{i}-kind": "open"})
    return data


def row(weekday, start, minutes, kind="open", **more):
    return {"weekday": str(weekday), "start_time": start, "minutes": str(minutes), "kind": kind}


def test_the_page_lists_the_plan_in_rows(client, user):
    provider = ProviderFactory(user=user)
    standby_plan_set(provider=provider, windows=[w(FRI, 22, 0, 180, APPOINTMENT)])
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="windows-0-start_time" value="22:00"' in html
    assert 'name="windows-0-minutes" value="180"' in html
    assert "日本（東京）" in html
    # One row per window, under its weekday; no blank rows and no "save to add more" note.
    assert 'name="windows-1-start_time"' not in html
    assert 'name="windows-TOTAL_FORMS" value="1"' in html
    friday = html[html.index('data-standby-day="4"') : html.index('data-standby-day="5"')]
    assert 'name="windows-0-start_time"' in friday
    assert 'type="hidden" name="windows-0-weekday" value="4"' in friday
    assert html.count('name="add_day"') == 7
    assert "枠を追加" in html
    assert "保存すると" not in html
    assert "Save to add more" not in html
    assert "standby_rows.js" in html


def test_adding_a_row_without_javascript_keeps_what_was_typed_and_saves_nothing(client, user):
    provider = ProviderFactory(user=user)
    standby_plan_set(provider=provider, windows=[w(MON, 21, 0, 60)])
    before = rows(provider)
    client.force_login(user)
    data = formset_data([row(MON, "21:00", 60), row(TUE, "20:00", 30)], initial=1)
    data["add_day"] = str(WED)
    response = client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="windows-TOTAL_FORMS" value="3"' in html
    assert 'name="windows-1-start_time" type="time" value="20:00"' in html or (
        'name="windows-1-start_time" value="20:00"' in html
    )
    wednesday = html[html.index('data-standby-day="2"') : html.index('data-standby-day="3"')]
    assert 'name="windows-2-weekday" value="2"' in wednesday
    assert 'class="field-error"' not in html  # a blank row is not an error yet
    assert rows(provider) == before
    # Saving with the new row left blank keeps the two typed windows.
    data = formset_data([row(MON, "21:00", 60), row(TUE, "20:00", 30)], initial=3)
    data.update({"windows-TOTAL_FORMS": "3", "windows-2-weekday": "2", "windows-2-kind": "open"})
    assert client.post(URL, data).status_code == 302
    assert rows(provider) == [(MON, dt.time(21, 0), 60, OPEN), (TUE, dt.time(20, 0), 30, OPEN)]


def test_a_row_missing_from_the_post_is_removed_from_the_plan(client, user):
    # What 「削除」 does in the browser: the row leaves the form, the rest is saved.
    provider = ProviderFactory(user=user)
    standby_plan_set(provider=provider, windows=[w(MON, 21, 0, 60), w(TUE, 21, 0, 60)])
    client.force_login(user)
    data = formset_data([row(MON, "21:00", 60), row(TUE, "21:00", 60)], initial=2)
    for key in [k for k in data if k.startswith("windows-0-")]:
        del data[key]
    assert client.post(URL, data).status_code == 302
    assert rows(provider) == [(TUE, dt.time(21, 0), 60, OPEN)]


def test_posting_rows_saves_the_plan_and_skips_blank_rows(client, user):
    provider = ProviderFactory(user=user)
    client.force_login(user)
    data = formset_data(
        [row(MON, "21:00", 120), row(SUN, "23:30", 90, "appointment")], extra_blank=2
    )
    response = client.post(URL, data)
    assert response.status_code == 302
    assert response.url == URL
    assert rows(provider) == [
        (MON, dt.time(21, 0), 120, OPEN),
        (SUN, dt.time(23, 30), 90, APPOINTMENT),
    ]


def test_the_editor_keeps_an_appointment_window_for_top_ranks(client, user):
    provider = ProviderFactory(user=user)
    client.force_login(user)
    kept = {**row(TUE, "20:00", 60, "appointment"), "tiers_only": "2"}
    response = client.post(URL, formset_data([kept, row(WED, "20:00", 60, "appointment")]))
    assert response.status_code == 302
    assert list(
        StandbyWindow.objects.filter(provider=provider)
        .order_by("weekday")
        .values_list("weekday", "tiers_only")
    ) == [(TUE, 2), (WED, None)]
    page = client.get(URL).content.decode()
    assert 'name="windows-0-tiers_only"' in page
    assert 'value="2"' in page


@pytest.mark.parametrize(
    ("language", "value", "message"),
    [
        ("en", "0", "Enter a rank from 1 to 10"),
        ("ja", "x", "ランクは1から10までの数字で入力"),
        ("ja", "11", "ランクは1から10までの数字で入力"),
    ],
)
def test_a_bad_rank_in_the_editor_is_a_field_error(client, user, language, value, message):
    provider = ProviderFactory(user=user)
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    bad = {**row(TUE, "20:00", 60, "appointment"), "tiers_only": value}
    response = client.post(URL, formset_data([bad]))
    assert response.status_code == 400
    form = response.context["formset"].forms[0]
    assert message in " ".join(form.errors["tiers_only"])
    assert message in response.content.decode()
    assert not StandbyWindow.objects.filter(provider=provider).exists()


def test_removing_a_row_deletes_that_window(client, user):
    provider = ProviderFactory(user=user)
    standby_plan_set(provider=provider, windows=[w(MON, 21, 0, 60), w(TUE, 21, 0, 60)])
    client.force_login(user)
    data = formset_data([row(MON, "21:00", 60), row(TUE, "21:00", 60)], initial=2)
    data["windows-0-DELETE"] = "on"
    assert client.post(URL, data).status_code == 302
    assert rows(provider) == [(TUE, dt.time(21, 0), 60, OPEN)]


@pytest.mark.parametrize(
    ("windows", "index", "field"),
    [
        ([row(MON, "21:00", 120), row(MON, "22:00", 30)], 1, "start_time"),
        ([row(SUN, "23:00", 120), row(MON, "00:30", 30)], 1, "start_time"),
        ([row(7, "21:00", 60)], 0, "weekday"),
        ([row(MON, "25:00", 60)], 0, "start_time"),
        ([row(MON, "", 60)], 0, "start_time"),
        ([row(MON, "21:00", 14)], 0, "minutes"),
        ([row(MON, "21:00", 1441)], 0, "minutes"),
        ([row(MON, "21:00", "x")], 0, "minutes"),
        ([row(MON, "21:00", 60, "vip")], 0, "kind"),
    ],
)
def test_bad_rows_answer_400_with_the_field_error_and_change_nothing(
    client, user, windows, index, field
):
    provider = ProviderFactory(user=user)
    standby_plan_set(provider=provider, windows=[w(WED, 9, 0, 60)])
    before = rows(provider)
    client.force_login(user)
    response = client.post(URL, formset_data(windows))
    assert response.status_code == 400
    form = response.context["formset"].forms[index]
    assert form.errors.get(field), form.errors
    assert 'class="field-error"' in response.content.decode()
    assert rows(provider) == before


def test_too_many_rows_answer_400_with_a_plan_error(client, user):
    provider = ProviderFactory(user=user)
    client.force_login(user)
    windows = [row(d % 7, f"{(d // 7) * 5:02d}:00", 60) for d in range(29)]
    response = client.post(URL, formset_data(windows))
    assert response.status_code == 400
    assert response.context["plan_errors"]
    assert rows(provider) == []


def test_a_broken_management_form_answers_400(client, user):
    ProviderFactory(user=user)
    client.force_login(user)
    assert client.post(URL, {"windows-TOTAL_FORMS": "x"}).status_code == 400
    assert client.post(URL, {"windows-TOTAL_FORMS": "x", "add_day": "2"}).status_code == 400


def test_anonymous_visitors_are_sent_to_log_in(client):
    provider = ProviderFactory()
    response = client.post(URL, formset_data([row(MON, "21:00", 60)]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert rows(provider) == []


def test_another_persons_post_never_touches_my_plan(client, user, other_user):
    mine = ProviderFactory(user=user)
    standby_plan_set(provider=mine, windows=[w(MON, 21, 0, 60)])
    before = rows(mine)
    client.force_login(other_user)
    assert client.post(URL, formset_data([])).url == reverse("storefront:open")
    theirs = ProviderFactory(user=other_user)
    response = client.post(URL + f"?provider={mine.pk}", formset_data([row(FRI, "09:00", 30)]))
    assert response.status_code == 302
    assert rows(mine) == before
    assert rows(theirs) == [(FRI, dt.time(9, 0), 30, OPEN)]


def test_the_public_page_shows_the_plan_in_the_viewers_zone(client, user):
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(THU, 10, 0, 60)])
    page = reverse("storefront:detail", args=[provider.pk])
    with time_machine.travel(dt.datetime(2025, 6, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        # Anonymous: Tokyo.
        html = client.get(page).content.decode()
        assert "日本（東京）" in html
        assert "10:00–11:00" in html
        # Signed in from Los Angeles: Thursday 10:00 JST = Wednesday 18:00 PDT.
        user.time_zone = "America/Los_Angeles"
        user.save()
        client.force_login(user)
        html = client.get(page).content.decode()
        assert "アメリカ西部（ロサンゼルス）" in html
        assert "18:00–19:00" in html
        assert "10:00–11:00" not in html


def test_the_public_page_highlights_a_current_window(client):
    provider = provider_in("Asia/Tokyo")
    standby_plan_set(provider=provider, windows=[w(MON, 11, 0, 120, APPOINTMENT)])
    page = reverse("storefront:detail", args=[provider.pk])
    with time_machine.travel(dt.datetime(2025, 6, 2, 12, 0, tzinfo=TOKYO), tick=False):
        html = client.get(page).content.decode()
    assert "is-now" in html
    assert 'class="standby-now"' in html
    with time_machine.travel(dt.datetime(2025, 6, 2, 14, 0, tzinfo=TOKYO), tick=False):
        html = client.get(page).content.decode()
    assert "is-now" not in html


def test_the_stored_plan_reads_back_monday_first():
    provider = provider_in()
    standby_plan_set(provider=provider, windows=[w(SUN, 9, 0, 60), w(MON, 9, 0, 60)])
    assert [x.weekday for x in standby_plan(provider=provider)] == [MON, SUN]
