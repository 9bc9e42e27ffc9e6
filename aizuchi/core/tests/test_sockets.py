"""The socket base (core.sockets): reading frames, checking fields, budgets, the language
of errors, and the route for paths no socket answers."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import example, given
from hypothesis import strategies as st

from aizuchi.core.errors import InvalidInput
from aizuchi.core.money import ID_MAX, object_id
from aizuchi.core.sockets import (
    NOT_AN_ID,
    Boolean,
    Choice,
    FrameError,
    Id,
    IdList,
    JsonObject,
    Text,
    TokenBucket,
    fields_clean,
    frame_content,
    socket_language,
)
from aizuchi.core.testing import ORIGIN, json_values, refused_with, socket_headers
from config.asgi import application

FIELDS = {
    "id": Id(),
    "flag": Boolean(required=False, default=False),
    "word": Choice(choices=("a", "b")),
    "ids": IdList(max_items=3),
    "data": JsonObject(max_size=50, nullable=True),
    "text": Text(max_length=5),
}
VALID = {"id": 1, "word": "a", "ids": [1, 2], "data": None, "text": "hi"}


def _cleaned(fields, content) -> tuple[dict | None, dict | None]:
    """(clean values, None) or (None, the field errors)."""
    try:
        return fields_clean(fields, content), None
    except InvalidInput as exc:
        return None, exc.errors


@given(value=json_values | st.integers())
@example(value=ID_MAX)
@example(value=ID_MAX + 1)
@example(value=0)
@example(value=True)
@example(value=1.0)
def test_an_id_is_a_json_integer_from_1_to_2_to_the_63_minus_1(value):
    is_id = type(value) is int and 1 <= value <= ID_MAX
    cleaned, errors = _cleaned({"id": Id()}, {"id": value})
    assert cleaned == ({"id": value} if is_id else None)
    assert errors == (None if is_id else {"id": [NOT_AN_ID]})
    if type(value) is int:
        assert (object_id(value) is not None) == is_id


@given(name=st.sampled_from(sorted(FIELDS)), value=json_values)
def test_a_wrong_value_names_its_field_and_the_others_pass(name, value):
    cleaned, errors = _cleaned(FIELDS, {**VALID, name: value})
    if errors is None:
        assert cleaned[name] == value
    else:
        assert list(errors) == [name]
        assert all(str(message) for message in errors[name])


def test_missing_fields_are_required_unless_they_have_a_default():
    assert fields_clean(FIELDS, {**VALID, "extra": object()})["flag"] is False
    with pytest.raises(InvalidInput) as caught:
        fields_clean(FIELDS, {})
    assert set(caught.value.errors) == {"id", "word", "ids", "data", "text"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (Text(), "a\x00b"),
        (Text(), "\ud800"),
        (Text(max_length=2), "abc"),
        (IdList(max_items=2), [1, 2, 3]),
        (IdList(max_items=2), [1, 10**30]),
        (JsonObject(max_size=10), {"x": "y" * 10}),
        (JsonObject(max_size=10), None),
        (Boolean(), 1),
        (Choice(choices=("a",)), ["a"]),
    ],
)
def test_values_a_field_refuses(field, value):
    with pytest.raises(InvalidInput):
        fields_clean({"f": field}, {"f": value})


@given(text=st.text(max_size=60) | json_values.map(json.dumps))
def test_a_frame_gives_the_json_object_it_holds_or_a_frame_error_nothing_else(text):
    try:
        content = frame_content(text, max_size=65_536)
    except FrameError:
        content = None
    if content is not None:
        assert content == json.loads(text)
        assert isinstance(content, dict)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        "[" * 30_000,  # deeper than Python's recursion limit
        '{"n": ' + "9" * 5000 + "}",  # more digits than int() reads
        '{"n": NaN}',  # a browser's JSON.parse cannot read what would be relayed
        '{"n": Infinity}',
        '{"type": "ping"} {"type": "ping"}',
        '["type", "ping"]',
        '"ping"',
        "null",
    ],
)
def test_frames_that_are_not_one_json_object(text):
    with pytest.raises(FrameError):
        frame_content(text, max_size=65_536)


def test_binary_and_oversized_frames_are_not_read():
    with pytest.raises(FrameError):
        frame_content(None, max_size=100)
    with pytest.raises(FrameError) as caught:
        frame_content(json.dumps({"type": "ping", "x": "y" * 100}), max_size=100)
    assert "100" in str(caught.value.message)


def test_a_token_bucket_allows_its_burst_then_its_rate():
    bucket = TokenBucket(3, 2, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.25) is False  # half a token
    assert bucket.take(0.5) is True  # one token after half a second
    assert bucket.take(0.5) is False
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # never over burst


def test_errors_speak_the_visitors_language():
    def scope(cookie=None, accept=b""):
        return {"headers": [(b"accept-language", accept)], "cookies": cookie or {}}

    assert socket_language(scope(accept=b"en-US,en;q=0.9")) == "en"
    assert socket_language(scope(accept=b"fr")) == "ja"  # the site's own default
    assert socket_language(scope({"aizuchi_language": "en"}, b"ja")) == "en"


# --- paths no socket answers ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path",
    ["/ws/sessions/-1/", "/ws/sessions/abc/", "/ws/nothing-here/", "/ws/", "/", "/ws/standby/x/"],
)
async def test_an_unknown_path_is_closed_with_4404_not_an_error(path):
    assert await refused_with(WebsocketCommunicator(application, path, headers=[ORIGIN])) == 4404


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_unknown_path_is_4404_for_signed_in_people_too(user):
    from asgiref.sync import sync_to_async

    headers = await sync_to_async(socket_headers)(user)
    communicator = WebsocketCommunicator(application, "/ws/nothing-here/", headers=headers)
    assert await refused_with(communicator) == 4404


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        (b"en", "Send each message as one JSON object in a text frame."),
        (b"ja", "メッセージは1件ずつ、テキストフレームのJSONオブジェクトとして送ってください。"),
    ],
)
async def test_a_signed_out_visitor_reads_errors_in_their_browsers_language(
    accept_language, message
):
    headers = [ORIGIN, (b"accept-language", accept_language)]
    communicator = WebsocketCommunicator(application, "/ws/presence/", headers=headers)
    assert (await communicator.connect())[0]
    await communicator.send_to(text_data="{not json")
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "bad_frame",
        "message": message,
    }
    await communicator.disconnect()


@pytest.mark.django_db
def test_the_handshakes_sign_in_finds_each_person_as_the_pages_would(client):
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser

    from aizuchi.accounts.tests.factories import UserFactory
    from aizuchi.core.sockets import signed_in_each, users_for_session_keys

    def key_of(person) -> str:
        client.cookies.clear()
        client.force_login(person)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    alice, bob, gone = UserFactory(), UserFactory(), UserFactory()
    alice_key, bob_key, gone_key = key_of(alice), key_of(bob), key_of(gone)
    gone.is_active = False  # a deactivated account is signed out everywhere
    gone.save()
    keys = [alice_key, None, "no-such-session-key", bob_key, gone_key, alice_key]
    found = users_for_session_keys(keys)
    assert [getattr(user, "pk", None) for user in found] == [
        alice.pk,
        None,
        None,
        bob.pk,
        None,
        alice.pk,
    ]
    assert all(isinstance(found[i], AnonymousUser) for i in (1, 2, 4))

    class Session:
        def __init__(self, key) -> None:
            self.session_key = key

    scopes = [
        {"session": Session(alice_key), "user": alice},
        {"session": Session(bob_key), "user": alice},  # not whom the socket was opened for
        {"session": Session(None), "user": alice},
    ]
    assert signed_in_each(scopes) == [True, False, False]
    client.cookies.clear()
    client.cookies[settings.SESSION_COOKIE_NAME] = alice_key
    client.logout()  # the same session, signed out in another tab: read afresh
    assert signed_in_each(scopes[:1]) == [False]
