"""The live pages: starting (or being told why not), the session page, summary and
transcript for the two participants only, and the standby console without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aizuchi.access.models import MissedNewcomer
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund, session_for
from aizuchi.live.models import Session
from aizuchi.live.services import chat
from aizuchi.live.services.meter import session_hang_up
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import Provider

from .factories import answered_session, on_standby

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    offering = OfferingFactory(price_per_minute=100)
    on_standby(offering.provider)
    return offering


def _english(person):
    person.language = "en"
    person.save()
    return person


def test_starting_rings_and_opens_the_session_page(client, user, offering):
    fund(user, 1000)
    client.force_login(user)
    response = client.post(reverse("live:start"), {"offering_id": offering.pk})
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("live:session", args=[session.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-socket="/ws/sessions/{session.pk}/"' in html
    assert 'data-role="customer"' in html
    assert "inochinodenwa.org" in html  # the discreet crisis link


def test_a_refusal_says_why_and_what_to_do_next(client, user, offering):
    _english(user)
    Provider.objects.filter(pk=offering.provider.pk).update(presence_state="in_session")
    client.force_login(user)
    response = client.post(reverse("live:start"), {"offering_id": offering.pk})
    assert response.status_code == 409
    html = response.content.decode()
    assert "is talking with someone right now" in html
    assert 'data-code="busy"' in html
    assert 'data-code="insufficient_points"' in html
    assert 'href="/billing/wallet/"' in html
    assert 'name="favourite" value="1"' in html  # keep them as a favourite, in one click
    assert f'href="/providers/{offering.provider_id}/#standby"' in html
    assert MissedNewcomer.objects.filter(customer=user).count() == 1
    assert not Session.objects.exists()


def test_starting_needs_a_real_offering_and_a_sign_in(client, user):
    assert client.post(reverse("live:start"), {"offering_id": 1}).status_code == 302
    client.force_login(user)
    for bad in ("", "abc", "999999"):
        assert client.post(reverse("live:start"), {"offering_id": bad}).status_code == 404
    assert client.get(reverse("live:start")).status_code == 405


def test_only_the_participants_see_the_session_summary_and_transcript(client, user, offering):
    fund(user, 2000)
    session = answered_session(offering, user)
    chat.message_send(session=session, user=user, text="誰にも言えなくて", client_id="x1")
    session_hang_up(session=session, user=user)
    urls = [
        reverse(name, args=[session.pk])
        for name in ("live:session", "live:summary", "live:transcript")
    ]
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 404
    for person in (user, offering.provider.user):
        client.force_login(_english(person))
        assert client.get(urls[0])["Location"] == urls[1]  # ended: the summary instead
        summary = client.get(urls[1]).content.decode()
        assert "Session summary" in summary
        assert "data-charged" in summary
        transcript = client.get(urls[2]).content.decode()
        # the message sits in its bubble with nothing around it that pre-wrap would show,
        # and the page shell's flash messages do not list the chat ("3#1")
        assert '<span class="chat-text">誰にも言えなくて</span>' in transcript
        assert f"{session.pk}#" not in transcript
        assert "text chat" in summary  # the channel in words, not "chat"
        assert " · chat · " not in summary
        if person == user:  # the customer's next steps
            assert reverse("booking:provider", args=[offering.provider_id]) in summary
            assert f"/providers/{offering.provider_id}/#offers" in summary
    client.force_login(user)
    assert (
        reverse("reputation:review_new", args=[session.pk]) in client.get(urls[1]).content.decode()
    )
    client.force_login(offering.provider.user)
    assert (
        reverse("reputation:review_new", args=[session.pk])
        not in client.get(urls[1]).content.decode()
    )


def test_the_console_works_without_javascript(client, offering):
    provider_user = _english(offering.provider.user)
    client.force_login(provider_user)
    page = client.get(reverse("live:console"))
    assert page.status_code == 200
    assert 'data-socket="/ws/standby/"' in page.content.decode()
    # The state switch is a plain form to presence's page, which brings the provider back.
    console = reverse("live:console")
    assert f'action="{reverse("presence:state")}"' in page.content.decode()
    back = client.post(reverse("presence:state"), {"state": "appointment", "next": console})
    assert back["Location"] == console
    assert Provider.objects.get(pk=offering.provider.pk).presence_state == "appointment"
    response = client.post(
        reverse("presence:state"), {"state": "in_session", "next": console}, follow=True
    )
    assert "Choose offline" in response.content.decode()
    assert Provider.objects.get(pk=offering.provider.pk).presence_state == "appointment"


def test_the_console_is_for_providers(client, user):
    client.force_login(user)
    assert client.get(reverse("live:console"))["Location"] == reverse("storefront:open")


def test_invite_and_block_only_ones_own_customers(client, user, other_user, offering):
    session_for(offering, user, seconds=60)
    client.force_login(offering.provider.user)
    url = reverse("live:console_customer", args=[user.pk])
    client.post(url, {"action": "invite", "minutes": "30"})
    invitation = Relationship.objects.get(invited_from__isnull=False)
    assert invitation.customer == user
    assert (invitation.invited_until - invitation.invited_from).total_seconds() == 1800
    blocked = Relationship.objects.filter(blocked_at__isnull=False)
    client.post(url, {"action": "block"})
    assert blocked.filter(provider=offering.provider, customer=user).exists()
    client.post(url, {"action": "unblock"})
    assert not blocked.exists()
    # a stranger (never a customer of this provider) cannot be invited or blocked
    stranger = reverse("live:console_customer", args=[other_user.pk])
    assert client.post(stranger, {"action": "invite", "minutes": "30"}).status_code == 404
    assert client.post(stranger, {"action": "block"}).status_code == 404
    invited = Relationship.objects.filter(invited_from__isnull=False)
    assert invited.count() == 1
    assert invited.get().invited_from == invitation.invited_from
    assert not blocked.exists()
    response = client.post(url, {"action": "invite", "minutes": "1000"}, follow=True)
    assert invited.count() == 1
    assert invited.get().invited_from == invitation.invited_from
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_answering_from_the_console_without_javascript(client, user, offering):
    fund(user, 1000)
    client.force_login(user)
    client.post(reverse("live:start"), {"offering_id": offering.pk})
    session = Session.objects.get()
    client.force_login(offering.provider.user)
    response = client.post(reverse("live:accept", args=[session.pk]))
    assert response["Location"] == reverse("live:session", args=[session.pk])
    session.refresh_from_db()
    assert session.status == "active"
    # the customer cannot answer, and a stranger's id is not found
    client.force_login(user)
    assert client.post(reverse("live:decline", args=[session.pk])).status_code == 404


def test_my_sessions_list_both_sides(client, user, offering):
    session_for(offering, user, seconds=120)
    client.force_login(user)
    assert offering.provider.display_name in client.get(reverse("live:sessions")).content.decode()
    client.force_login(offering.provider.user)
    assert str(user.public_name) in client.get(reverse("live:sessions")).content.decode()
