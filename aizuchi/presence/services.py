"""Every change of a provider's presence goes through here, and every decision about who
may connect to them now.

States are pushed to ``presence.<provider_id>`` (profile and listing pages watch it) and
to the provider's own sockets. A provider chooses offline, open standby, appointment
standby or away; "in a session" is set by the live domain and remembers the standby to
return to. A provider whose standby page has been closed for ``PRESENCE_GRACE_SECONDS``
is shown as away (``presence_sweep``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.booking.selectors import booking_now_at, booking_now_for
from aizuchi.core.connections import last_seen_by_role, topics_alive
from aizuchi.core.errors import InvalidInput, NotFound, lazy_format
from aizuchi.core.money import whole_number
from aizuchi.core.realtime import publish, user_group
from aizuchi.core.refusals import Refusal
from aizuchi.live.models import Session
from aizuchi.notifications.services import notification_send

from . import realtime
from .models import (
    CHOSEN_STATES,
    STANDBY_STATES,
    AccessPolicy,
    Block,
    Invitation,
    MissedNewcomer,
    Presence,
    State,
)

STATE_NOT_CHOSEN = _("Choose offline, open standby, appointments only or away.")
INVITE_MINUTES_OUT_OF_RANGE = _("Invite for 5 to 240 minutes.")
CUSTOMER_NOT_FOUND = _("That customer has not talked with you yet.")

OFFLINE = _("%(provider)s is offline right now.")
AWAY = _("%(provider)s has stepped away for a moment.")
BUSY = _("%(provider)s is talking with someone right now.")
APPOINTMENT_ONLY = _("%(provider)s is waiting for someone with an appointment right now.")
BLOCKED = _("%(provider)s is not taking sessions from you.")
RESERVED_NOW = _("%(provider)s has a reservation with someone right now.")
NEWCOMERS_BOOK = _(
    "%(provider)s meets people for the first time by reservation. Choose a time to book."
)
REGULARS_BOOK = _("%(provider)s meets regular customers by appointment. Choose a time to book.")
DROP_IN_LIMIT = _(
    "%(provider)s takes at most %(limit)d drop-in sessions a week from one person, "
    "and you have had them. An appointment still works."
)

# Reasons that mean "come back another time" to someone new: insights count these.
MISSED_NEWCOMER_CODES = ("busy", "appointment_only", "reserved_now")


def presence_topic(provider_id: int) -> str:
    return f"presence:{provider_id}"


def presence_group(provider_id: int) -> str:
    return f"presence.{provider_id}"


def _live(name: str):
    return settings.AIZUCHI_LIVE[name]


def presence_get(*, provider) -> Presence:
    presence, _created = Presence.objects.get_or_create(provider=provider)
    return presence


def _push(presence: Presence) -> None:
    message = realtime.presence_changed(presence)
    publish(presence_group(presence.provider_id), message)
    publish(user_group(presence.provider.user_id), message)


def _write(provider, state: str, *, after_session: str | None = None) -> Presence:
    with transaction.atomic():
        presence = Presence.objects.select_for_update().filter(provider=provider).first()
        if presence is None:
            presence = Presence.objects.create(provider=provider)
        changed = presence.state != state
        presence.state = state
        if after_session is not None:
            presence.after_session = after_session
        if changed:
            presence.changed_at = timezone.now()
        presence.save(update_fields=["state", "after_session", "changed_at"])
        presence.provider = provider
        if changed:
            _push(presence)
    return presence


def presence_set(*, provider, state: State | str) -> Presence:
    """The provider chooses where they are. During a session the choice is kept for when
    it ends (the session itself goes on)."""
    if state not in CHOSEN_STATES:
        raise InvalidInput({"state": [STATE_NOT_CHOSEN]})
    current = presence_get(provider=provider)
    if current.state == State.IN_SESSION:
        return _write(provider, State.IN_SESSION, after_session=state)
    return _write(provider, state, after_session=state)


def presence_enter_session(*, provider) -> Presence:
    current = presence_get(provider=provider)
    after = current.state if current.state in STANDBY_STATES else current.after_session
    return _write(provider, State.IN_SESSION, after_session=after or State.OFFLINE)


def presence_leave_session(*, provider) -> Presence:
    """Back to the standby the provider was in (or chose meanwhile)."""
    current = presence_get(provider=provider)
    if current.state != State.IN_SESSION:
        return current
    return _write(provider, current.after_session or State.OFFLINE)


def presence_sweep(*, now: datetime | None = None) -> int:
    """Providers waiting for callers whose standby page has been gone too long are away."""
    now = now or timezone.now()
    grace = timedelta(seconds=_live("PRESENCE_GRACE_SECONDS"))
    waiting = list(
        Presence.objects.filter(state__in=STANDBY_STATES, changed_at__lte=now - grace)
        .select_related("provider")
        .order_by("pk")
    )
    if not waiting:
        return 0
    alive = topics_alive([presence_topic(p.provider_id) for p in waiting], now=now)
    moved = 0
    for presence in waiting:
        topic = presence_topic(presence.provider_id)
        if topic in alive:
            continue
        last = last_seen_by_role(topic=topic).get("provider")
        # Only a standby page that was there and went quiet counts; a provider who never
        # kept one open (the plain-form fallback, imported data) keeps their state.
        if last is None or last > now - grace:
            continue
        _write(presence.provider, State.AWAY, after_session=State.AWAY)
        moved += 1
    return moved


def presence_snapshot(*, provider_ids: list[int]) -> dict[int, str]:
    states = dict(
        Presence.objects.filter(provider_id__in=provider_ids).values_list("provider_id", "state")
    )
    return {pk: states.get(pk, State.OFFLINE) for pk in provider_ids}


# --- who may connect ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccessCheck:
    reasons: list[Refusal] = field(default_factory=list)
    newcomer: bool = True
    by_appointment: bool = False
    state: str = State.OFFLINE

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def is_newcomer(*, customer, provider) -> bool:
    """No completed session with this provider yet."""
    return not Session.objects.filter(
        customer=customer, provider=provider, status=Session.Status.COMPLETED
    ).exists()


def invitation_now(*, customer, provider, now: datetime | None = None) -> Invitation | None:
    now = now or timezone.now()
    return Invitation.objects.filter(
        provider=provider, customer=customer, valid_from__lte=now, valid_until__gt=now
    ).first()


def drop_ins_this_week(*, customer, provider, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Session.objects.filter(
        customer=customer,
        provider=provider,
        by_appointment=False,
        status__in=[Session.Status.ACTIVE, Session.Status.COMPLETED],
        requested_at__gte=now - timedelta(days=7),
    ).count()


def access_check(*, customer, provider, now: datetime | None = None) -> AccessCheck:
    """May ``customer`` connect to ``provider`` now, as far as presence and policy go?

    - A customer whose booking is on now (or who was invited) comes in by appointment,
      in open or appointment standby.
    - While someone else's booking is on, the provider is kept for them: no drop-ins,
      unless the provider opens an unused reserved time to everyone after N minutes.
    - Otherwise open standby takes drop-ins within the provider's policy (newcomers by
      reservation only, regulars allowed to drop in, a weekly cap); appointment standby
      takes only the invited.
    """
    now = now or timezone.now()
    state = presence_get(provider=provider).state
    name = provider.display_name
    newcomer = is_newcomer(customer=customer, provider=provider)
    policy = AccessPolicy.objects.filter(provider=provider).first() or AccessPolicy()

    def refused(code: str, message, url: str = "") -> AccessCheck:
        return AccessCheck(
            reasons=[Refusal(code, lazy_format(message, provider=name), url)],
            newcomer=newcomer,
            state=state,
        )

    def come_in() -> AccessCheck:
        return AccessCheck(newcomer=newcomer, by_appointment=True, state=state)

    if Block.objects.filter(provider=provider, customer=customer).exists():
        return refused("blocked", BLOCKED)
    if state in (State.OFFLINE, State.AWAY, State.IN_SESSION):
        return refused(
            {State.OFFLINE: "offline", State.AWAY: "away", State.IN_SESSION: "busy"}[state],
            {State.OFFLINE: OFFLINE, State.AWAY: AWAY, State.IN_SESSION: BUSY}[state],
        )
    if booking_now_for(customer=customer, provider=provider, now=now) is not None:
        return come_in()
    if state == State.APPOINTMENT and invitation_now(customer=customer, provider=provider, now=now):
        return come_in()
    reserved = booking_now_at(provider=provider, now=now)
    opens_after = policy.appointment_opens_after_minutes
    unused = (
        reserved is not None
        and reserved.session_id is None
        and opens_after is not None
        and now >= reserved.start_at + timedelta(minutes=opens_after)
    )
    if reserved is not None and not unused:
        return refused("reserved_now", RESERVED_NOW, _booking_url(provider))
    if state == State.APPOINTMENT and not unused:
        return refused("appointment_only", APPOINTMENT_ONLY, _booking_url(provider))
    if newcomer and policy.newcomers_by_reservation:
        return refused("newcomers_by_reservation", NEWCOMERS_BOOK, _booking_url(provider))
    if not newcomer and not policy.regulars_drop_in:
        return refused("regulars_by_appointment", REGULARS_BOOK, _booking_url(provider))
    limit = policy.drop_ins_per_week
    if (
        limit is not None
        and drop_ins_this_week(customer=customer, provider=provider, now=now) >= limit
    ):
        return AccessCheck(
            reasons=[
                Refusal(
                    "drop_in_limit",
                    lazy_format(DROP_IN_LIMIT, provider=name, limit=limit),
                    _booking_url(provider),
                )
            ],
            newcomer=newcomer,
            state=state,
        )
    return AccessCheck(newcomer=newcomer, state=state)


def _booking_url(provider) -> str:
    return reverse("booking:provider", args=[provider.pk])


def missed_newcomer_record(*, provider, customer, check: AccessCheck) -> MissedNewcomer | None:
    """Remember a newcomer turned away because the provider was busy or waiting for an
    appointment (the single-regular risk: insights show the provider these)."""
    codes = [reason.code for reason in check.reasons if reason.code in MISSED_NEWCOMER_CODES]
    if not check.newcomer or not codes:
        return None
    return MissedNewcomer.objects.create(
        provider=provider, customer=customer, state=check.state, reason=codes[0]
    )


# --- the provider's own choices ------------------------------------------------------------


def invitation_create(*, provider, customer_id, minutes) -> Invitation:
    """Let one of the provider's customers in during appointment standby, from now."""
    number = whole_number(minutes)
    if number is None or not 5 <= number <= 240:
        raise InvalidInput({"minutes": [INVITE_MINUTES_OUT_OF_RANGE]})
    customer_pk = whole_number(customer_id)
    known = Session.objects.filter(provider=provider, customer_id=customer_pk).select_related(
        "customer"
    )
    session = known.first() if customer_pk else None
    if session is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    now = timezone.now()
    invitation = Invitation.objects.create(
        provider=provider,
        customer=session.customer,
        valid_from=now,
        valid_until=now + timedelta(minutes=number),
    )
    notification_send(
        user=session.customer,
        kind="appointment_invitation",
        params={"provider": provider.display_name, "minutes": number},
        url=reverse("storefront:detail", args=[provider.pk]),
    )
    return invitation


def block_set(*, provider, customer_id, blocked: bool) -> bool:
    customer_pk = whole_number(customer_id)
    session = (
        Session.objects.filter(provider=provider, customer_id=customer_pk)
        .select_related("customer")
        .first()
        if customer_pk
        else None
    )
    if session is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    if blocked:
        Block.objects.get_or_create(provider=provider, customer=session.customer)
    else:
        Block.objects.filter(provider=provider, customer=session.customer).delete()
    return blocked


POLICY_NUMBER_OUT_OF_RANGE = _("Enter %(min)s to %(max)s, or leave it empty.")
# (minimum, maximum) of the policy's numbers; empty means no limit.
POLICY_LIMITS = {
    "drop_ins_per_week": (1, 50),
    "bookings_per_week": (1, 50),
    "appointment_opens_after_minutes": (5, 120),
}


def access_policy_set(
    *, provider, newcomers_by_reservation=False, regulars_drop_in=True, **numbers
) -> AccessPolicy:
    """Who may connect: newcomers by reservation only, regulars' drop-ins, weekly limits,
    and when an unused reserved time opens to everyone."""
    errors: dict[str, list] = {}
    clean: dict[str, int | None] = {}
    for name, (low, high) in POLICY_LIMITS.items():
        value = numbers.get(name)
        if value in (None, ""):
            clean[name] = None
            continue
        number = whole_number(value)
        if number is None or not low <= number <= high:
            errors[name] = [lazy_format(POLICY_NUMBER_OUT_OF_RANGE, min=low, max=high)]
        clean[name] = number
    if errors:
        raise InvalidInput(errors)
    policy, _created = AccessPolicy.objects.update_or_create(
        provider=provider,
        defaults={
            "newcomers_by_reservation": bool(newcomers_by_reservation),
            "regulars_drop_in": bool(regulars_drop_in),
            **clean,
        },
    )
    return policy
