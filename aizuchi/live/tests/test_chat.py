"""Chat: the transcript, no duplicates after a resend, catching up, read marks."""

from __future__ import annotations

import pytest

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.live import selectors as live_selectors
from aizuchi.live.models import Message, Session
from aizuchi.live.services import chat
from aizuchi.live.services.meter import session_hang_up

from .factories import answered_session, on_standby

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(user):
    offering = OfferingFactory()
    on_standby(offering.provider)
    fund(user, 2000)
    return answered_session(offering, user)


def test_messages_are_kept_once_per_client_id(session, user):
    first, created = chat.message_send(
        session=session, user=user, text=" こんにちは ", client_id="a1"
    )
    assert created
    assert first.text == "こんにちは"
    again, created = chat.message_send(
        session=session, user=user, text="こんにちは", client_id="a1"
    )
    assert not created
    assert again.pk == first.pk
    provider = session.provider.user
    chat.message_send(session=session, user=provider, text="はい、どうぞ", client_id="a1")
    assert Message.objects.count() == 2  # the same id from the other side is its own message
    assert live_selectors.last_message_at(session) == Message.objects.latest("pk").created_at


@pytest.mark.parametrize(
    ("text", "client_id", "field"),
    [
        ("", "a", "text"),
        ("   ", "a", "text"),
        ("あ" * 2001, "a", "text"),
        ("hi", "", "client_id"),
        ("hi", "no spaces allowed", "client_id"),
        ("hi", "x" * 41, "client_id"),
        ("hi", None, "client_id"),
        ("a\x00b", "a", "text"),
    ],
)
def test_bad_messages_are_field_errors(session, user, text, client_id, field):
    with pytest.raises(InvalidInput) as refused:
        chat.message_send(session=session, user=user, text=text, client_id=client_id)
    assert field in refused.value.errors
    assert not Message.objects.exists()


def test_a_client_catches_up_from_its_last_message(session, user):
    ids = [
        chat.message_send(session=session, user=user, text=f"{n}", client_id=f"m{n}")[0].pk
        for n in range(5)
    ]
    assert [m.pk for m in live_selectors.messages_after(session=session, after_id=ids[2])] == ids[
        3:
    ]
    assert len(live_selectors.messages_after(session=session, after_id="junk")) == 5
    assert live_selectors.messages_after(session=session, after_id=ids[-1]) == []


def test_read_marks_only_move_forward_and_only_to_this_sessions_messages(session, user):
    provider = session.provider.user
    one = chat.message_send(session=session, user=user, text="1", client_id="r1")[0]
    two = chat.message_send(session=session, user=user, text="2", client_id="r2")[0]
    assert chat.read_mark(session=session, user=provider, message_id=two.pk) == two.pk
    assert chat.read_mark(session=session, user=provider, message_id=one.pk) == two.pk
    session.refresh_from_db()
    assert (session.provider_read_id, session.customer_read_id) == (two.pk, 0)
    with pytest.raises(InvalidInput):
        chat.read_mark(session=session, user=provider, message_id=two.pk + 1000)


def test_no_new_messages_after_the_end_but_a_resend_is_answered(session, user):
    sent = chat.message_send(session=session, user=user, text="最後に", client_id="last")[0]
    session_hang_up(session=session, user=user)
    assert chat.message_send(session=session, user=user, text="最後に", client_id="last")[0] == sent
    with pytest.raises(Conflict):
        chat.message_send(session=session, user=user, text="もう一つ", client_id="late")


def _open_session():
    offering = OfferingFactory(price_per_minute=100)
    on_standby(offering.provider)
    customer = UserFactory()
    fund(customer, 3000)
    return answered_session(offering, customer)


def test_many_messages_at_once_answer_each_as_one_would(django_capture_on_commit_callbacks):
    s1, s2 = _open_session(), _open_session()
    c1, p1 = s1.customer, s1.provider.user
    earlier, _ = chat.message_send(session=s1, user=c1, text="first", client_id="a1")
    Session.objects.filter(pk=s2.pk).update(status="cancelled")
    sends = [
        chat.Send(s1, c1, "again", "a1"),  # resend
        chat.Send(s1, c1, "new", "a2"),
        chat.Send(s1, p1, "new from provider", "a2"),  # same id, other sender
        chat.Send(s1, c1, "dup in batch", "a2"),  # same id twice in the batch
        chat.Send(s1, c1, "", "a3"),  # invalid
        chat.Send(s2, s2.customer, "closed", "b1"),  # session closed
    ]
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        r = chat.messages_send(sends)
    assert r[0] == (earlier, False)
    assert r[1][1] is True
    assert r[1][0].pk
    assert r[1][0].text == "new"
    assert r[2][1] is True
    assert r[2][0].sender_id == p1.pk
    assert r[3] == (r[1][0], False)
    assert isinstance(r[4], InvalidInput)
    assert isinstance(r[5], Conflict)
    assert len(hooks) == 2  # two new messages published
    assert Message.objects.filter(session=s1).count() == 3
    assert live_selectors.last_message_at(s1) == r[2][0].created_at
    # a resend to a closed session still gets its message back
    Session.objects.filter(pk=s1.pk).update(status="cancelled")
    assert chat.messages_send([chat.Send(s1, c1, "x", "a2")])[0] == (r[1][0], False)
    assert isinstance(chat.messages_send([chat.Send(s1, c1, "x", "zz")])[0], Conflict)


def test_a_null_character_in_one_message_leaves_the_others_of_its_batch_alone(session, user):
    """PostgreSQL refuses NUL in text: one such message must not fail its whole batch."""
    results = chat.messages_send(
        [
            chat.Send(session, user, "こんにちは", "n1"),
            chat.Send(session, user, "bad\x00text", "n2"),
            chat.Send(session, user, "またね", "n3"),
        ]
    )
    assert isinstance(results[1], InvalidInput)
    assert [r[0].text for r in (results[0], results[2])] == ["こんにちは", "またね"]
    assert sorted(Message.objects.values_list("text", flat=True)) == ["こんにちは", "またね"]
