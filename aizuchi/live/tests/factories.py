from datetime import timedelta

import factory
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.live.models import Session
from aizuchi.relationships.services import (
    relationship_drop_in_answered,
    relationship_session_completed,
    relationship_session_requested,
)
from aizuchi.storefront.tests.factories import ProviderFactory


def record_facts(session: Session) -> Session:
    """Tell the pair's relationship row what the live services tell it as a session goes
    (requested; answered as a drop-in; completed), for a session made directly."""
    pair = {"provider_id": session.provider_id, "customer_id": session.customer_id}
    relationship_session_requested(**pair, requested_at=session.requested_at)
    answered = (Session.Status.ACTIVE, Session.Status.COMPLETED)
    if session.status in answered and not session.by_appointment:
        relationship_drop_in_answered(
            **pair, session_id=session.pk, requested_at=session.requested_at
        )
    if session.status == Session.Status.COMPLETED:
        relationship_session_completed(**pair)
    return session


class SessionFactory(factory.django.DjangoModelFactory):
    """A session as the live domain leaves it; ringing unless a trait says otherwise.

    ``SessionFactory(completed=True)`` is a finished, billed 30-minute call;
    ``declined=True`` / ``missed=True`` are the other outcomes the rank job counts.
    """

    class Meta:
        model = Session
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    customer = factory.SubFactory(UserFactory)
    channel = "voice"
    status = Session.Status.REQUESTED
    requested_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    class Params:
        completed = factory.Trait(
            status=Session.Status.COMPLETED,
            started_at=factory.LazyAttribute(lambda s: s.requested_at + timedelta(minutes=1)),
            ended_at=factory.LazyAttribute(lambda s: s.started_at + timedelta(minutes=30)),
            billable_seconds=1800,
            charged_yen=3000,
        )
        declined = factory.Trait(status=Session.Status.DECLINED)
        missed = factory.Trait(status=Session.Status.MISSED)

    @factory.post_generation
    def facts(self, create, extracted, **kwargs):
        if create and extracted is not False:
            record_facts(self)


# --- live sessions through the services ------------------------------------------------------


def on_standby(provider, state: str = "open"):
    """The provider's standby page is open and they chose ``state``."""
    from aizuchi.core.connections import connection_open
    from aizuchi.presence.services import presence_set, presence_topic

    connection_open(topic=presence_topic(provider.pk), user=provider.user, role="provider")
    return presence_set(provider=provider, state=state)


def connect(session, role: str):
    """A participant's socket opens (as the consumer does)."""
    from aizuchi.live.services.meter import session_join

    user = session.customer if role == "customer" else session.provider.user
    return session_join(session=session, user=user, role=role)


def answered_session(offering, customer, *, connect_both: bool = True):
    """A requested, accepted session; with both sides connected the meter is running."""
    from aizuchi.live.services import sessions

    session = sessions.session_request(customer=customer, offering_id=offering.pk)
    session = sessions.session_accept(user=offering.provider.user, session_id=session.pk)
    if connect_both:
        connect(session, "customer")
        connect(session, "provider")
        session.refresh_from_db()
    return session


def accepted_session(*, channel: str = "chat", points_yen: int = 3000) -> Session:
    """A new provider on open standby and a funded customer whose request was answered:
    an active session nobody has connected to yet (participants loaded)."""
    from aizuchi.billing.tests.factories import OfferingFactory, fund

    offering = OfferingFactory(price_per_minute=100, channel=channel)
    on_standby(offering.provider)
    customer = UserFactory()
    fund(customer, points_yen)
    session = answered_session(offering, customer, connect_both=False)
    return Session.objects.select_related("provider__user", "customer").get(pk=session.pk)


def heartbeat(session, *roles: str) -> int:
    """The sockets of ``roles`` (default both) were heard now, as the keeper writes it."""
    from django.utils import timezone

    from aizuchi.core.models import Connection

    sockets = Connection.objects.filter(topic=session.topic, closed_at__isnull=True)
    if roles:
        sockets = sockets.filter(role__in=roles)
    return sockets.update(seen_at=timezone.now())
