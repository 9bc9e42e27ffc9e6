from datetime import timedelta

import factory
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.live.models import Session
from aizuchi.storefront.tests.factories import ProviderFactory


class SessionFactory(factory.django.DjangoModelFactory):
    """A session as the live domain leaves it; ringing unless a trait says otherwise.

    ``SessionFactory(completed=True)`` is a finished, billed 30-minute call;
    ``declined=True`` / ``missed=True`` are the other outcomes the rank job counts.
    """

    class Meta:
        model = Session

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
