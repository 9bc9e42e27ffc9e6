"""Follow-ups: the provider writes to one chosen customer or a hand-picked handful (at
most ``FOLLOWUP_MAX_RECIPIENTS``, never "all customers"), from a template or not, now or
at a chosen time. Each is a message in the pair's thread, sent through messaging's
service (so blocks, the thread, the unread e-mail and the push are messaging's), and is
kept on the card. A scheduled one can be changed or cancelled until the job sends it.

Placeholders are filled when the message goes out, for each customer:
``{name}`` the customer's name, ``{last_session_date}`` the date of the last completed
session, ``{next_free_slot}`` the next free bookable time, ``{my_name}`` the provider's
name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.booking.services.slots import slots_for
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refused, ServiceError, lazy_format
from aizuchi.core.money import object_id
from aizuchi.core.readers import as_read_by
from aizuchi.core.text import placeholders_fill as text_fill
from aizuchi.core.text import placeholders_unknown
from aizuchi.live.models import Session
from aizuchi.messaging.services.threads import message_send_to_customer
from aizuchi.storefront.models import Offering

from ..models import FollowUp, FollowUpTemplate
from ..selectors import card_get_for_provider
from .cards import _card_for_write, note_text_clean
from .suggestions import suggestion_clear

FOLLOWUP_MAX_RECIPIENTS = 10
SCHEDULE_AHEAD = timedelta(days=90)
SEND_BATCH = 200
TEMPLATE_NAME_MAX = 40

PLACEHOLDERS = ("name", "last_session_date", "next_free_slot", "my_name")

NO_RECIPIENTS = _("Choose at least one customer.")
TOO_MANY_RECIPIENTS = _(
    "Write to at most %(max)d customers at once: a follow-up is for people you chose."
)
NOT_YOUR_CUSTOMER = _("One of the chosen people is not one of your customers.")
RECIPIENT_BLOCKED = _("You have blocked %(customer)s. Unblock them to write.")
BODY_EMPTY = _("Write the message.")
SEND_AT_PAST = _("Choose a time from now on.")
SEND_AT_FAR = _("Schedule at most 90 days ahead.")
NOT_SCHEDULED = _("This follow-up has already been sent or cancelled.")
FOLLOWUP_NOT_FOUND = _("That follow-up does not exist.")
TEMPLATE_NOT_FOUND = _("That template does not exist.")
TEMPLATE_NAME_EMPTY = _("Give the template a name.")
TEMPLATE_NAME_TOO_LONG = _("Keep the name to %(max)d characters.")
TEMPLATE_NAME_TAKEN = _("You already have a template with this name.")
NO_SLOT = _("(no free time at the moment)")


def _body_clean(body) -> str:
    text = note_text_clean(body, field="body")
    if not text:
        raise InvalidInput({"body": [BODY_EMPTY]})
    unknown = placeholders_unknown(text, PLACEHOLDERS)
    if unknown is not None:
        raise InvalidInput({"body": [unknown]})
    return text


def _send_at_clean(send_at: datetime | None, now: datetime) -> datetime:
    if send_at is None:
        return now
    if send_at < now - timedelta(minutes=1):
        raise InvalidInput({"send_at": [SEND_AT_PAST]})
    if send_at > now + SCHEDULE_AHEAD:
        raise InvalidInput({"send_at": [SEND_AT_FAR]})
    return max(send_at, now)


# --- templates -------------------------------------------------------------------------------


def template_get_for_provider(*, provider, template_id) -> FollowUpTemplate:
    pk = object_id(template_id)
    found = (
        FollowUpTemplate.objects.filter(pk=pk, provider=provider).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(TEMPLATE_NOT_FOUND)
    return found


def template_save(*, provider, name, body, template_id=None) -> FollowUpTemplate:
    """Add a template, or change one (``template_id``)."""
    errors: dict[str, list] = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = [TEMPLATE_NAME_EMPTY]
    elif len(name) > TEMPLATE_NAME_MAX:
        errors["name"] = [lazy_format(TEMPLATE_NAME_TOO_LONG, max=TEMPLATE_NAME_MAX)]
    else:
        try:
            note_text_clean(name, field="name", max_length=TEMPLATE_NAME_MAX)
        except InvalidInput as exc:
            errors.update(exc.errors)
    try:
        body = _body_clean(body)
    except InvalidInput as exc:
        errors.update(exc.errors)
    template = (
        template_get_for_provider(provider=provider, template_id=template_id)
        if template_id is not None
        else FollowUpTemplate(provider=provider)
    )
    taken = FollowUpTemplate.objects.filter(provider=provider, name=name).exclude(pk=template.pk)
    if "name" not in errors and taken.exists():
        errors["name"] = [TEMPLATE_NAME_TAKEN]
    if errors:
        raise InvalidInput(errors)
    template.name = name
    template.body = body
    template.save()
    return template


def template_delete(*, provider, template_id) -> None:
    template_get_for_provider(provider=provider, template_id=template_id).delete()


# --- writing follow-ups ----------------------------------------------------------------------


def _recipients(provider, customer_ids: Iterable) -> list:
    ids: list[int] = []
    for value in customer_ids:
        pk = object_id(value)
        if pk is None:
            raise InvalidInput({"customers": [NOT_YOUR_CUSTOMER]})
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise InvalidInput({"customers": [NO_RECIPIENTS]})
    if len(ids) > FOLLOWUP_MAX_RECIPIENTS:
        raise InvalidInput(
            {"customers": [lazy_format(TOO_MANY_RECIPIENTS, max=FOLLOWUP_MAX_RECIPIENTS)]}
        )
    views = []
    for pk in ids:
        try:
            view = card_get_for_provider(provider=provider, customer_id=pk)
        except NotFound:
            raise InvalidInput({"customers": [NOT_YOUR_CUSTOMER]}) from None
        if view.relationship.is_blocked:
            raise InvalidInput(
                {"customers": [lazy_format(RECIPIENT_BLOCKED, customer=view.customer.public_name)]}
            )
        views.append(view)
    return views


def followup_create(
    *,
    provider,
    customer_ids: Iterable,
    body,
    template_id=None,
    send_at: datetime | None = None,
    now: datetime | None = None,
) -> list[FollowUp]:
    """Write to each chosen customer; sent at once when ``send_at`` is empty (or now)."""
    now = now or timezone.now()
    errors: dict[str, list] = {}
    views: list = []
    for check in (
        lambda: views.extend(_recipients(provider, customer_ids)),
        lambda: _body_clean(body),
        lambda: _send_at_clean(send_at, now),
    ):
        try:
            check()
        except InvalidInput as exc:
            errors.update(exc.errors)
    template = None
    if template_id not in (None, ""):
        try:
            template = template_get_for_provider(provider=provider, template_id=template_id)
        except NotFound:
            errors["template"] = [TEMPLATE_NOT_FOUND]
    if errors:
        raise InvalidInput(errors)
    text = _body_clean(body)
    when = _send_at_clean(send_at, now)
    made = []
    with transaction.atomic():
        for view in views:
            card = _card_for_write(provider=provider, customer_id=view.customer.pk)
            made.append(
                FollowUp.objects.create(
                    card=card,
                    provider=provider,
                    customer=view.customer,
                    template=template,
                    body=text,
                    send_at=when,
                    created_at=now,
                )
            )
    if when <= now:
        for followup in made:
            followup_send(followup_id=followup.pk, now=now)
            followup.refresh_from_db()
    return made


def followup_get_for_provider(*, provider, followup_id) -> FollowUp:
    pk = object_id(followup_id)
    found = (
        FollowUp.objects.select_related("customer").filter(pk=pk, provider=provider).first()
        if pk is not None
        else None
    )
    if found is None:
        raise NotFound(FOLLOWUP_NOT_FOUND)
    return found


def followup_edit(
    *, provider, followup_id, body, send_at: datetime | None, now: datetime | None = None
) -> FollowUp:
    """Change a scheduled follow-up's text or time (empty time: send it now)."""
    now = now or timezone.now()
    followup = followup_get_for_provider(provider=provider, followup_id=followup_id)
    errors: dict[str, list] = {}
    for check in (lambda: _body_clean(body), lambda: _send_at_clean(send_at, now)):
        try:
            check()
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    changed = FollowUp.objects.filter(pk=followup.pk, status=FollowUp.Status.SCHEDULED).update(
        body=_body_clean(body), send_at=_send_at_clean(send_at, now)
    )
    if not changed:
        raise Conflict(NOT_SCHEDULED)
    followup.refresh_from_db()
    if followup.send_at <= now:
        followup_send(followup_id=followup.pk, now=now)
        followup.refresh_from_db()
    return followup


def followup_cancel(*, provider, followup_id) -> FollowUp:
    followup = followup_get_for_provider(provider=provider, followup_id=followup_id)
    changed = FollowUp.objects.filter(pk=followup.pk, status=FollowUp.Status.SCHEDULED).update(
        status=FollowUp.Status.CANCELLED
    )
    if not changed:
        raise Conflict(NOT_SCHEDULED)
    followup.refresh_from_db()
    return followup


# --- sending -----------------------------------------------------------------------------------


def _next_free_slot(provider, now: datetime, newcomer: bool) -> str:
    starts = []
    for offering in Offering.objects.filter(provider=provider, is_active=True)[:5]:
        found = slots_for(provider=provider, offering=offering, now=now, newcomer=newcomer)
        if found:
            starts.append(found[0].start)
    if not starts:
        return str(NO_SLOT)
    return formats.date_format(timezone.localtime(min(starts)), "SHORT_DATETIME_FORMAT")


def placeholders_fill(followup: FollowUp, now: datetime) -> str:
    """The follow-up's text for its customer, at ``now``: dates and times in their zone
    and language (the job that sends it runs in neither)."""
    with as_read_by(followup.customer):
        return _placeholders_fill(followup, now)


def _placeholders_fill(followup: FollowUp, now: datetime) -> str:
    provider, customer = followup.provider, followup.customer
    values: dict[str, Callable[[], str]] = {
        "name": lambda: str(customer.public_name),
        "my_name": lambda: str(provider.display_name),
        "last_session_date": lambda: _last_session_date(provider, customer),
        "next_free_slot": lambda: _next_free_slot(
            provider, now, newcomer=followup.card.relationship.is_newcomer
        ),
    }
    return text_fill(followup.body, values)


def _last_session_date(provider, customer) -> str:
    last = (
        Session.objects.filter(
            provider=provider, customer=customer, status=Session.Status.COMPLETED
        )
        .order_by("-requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )
    return formats.date_format(timezone.localtime(last), "SHORT_DATE_FORMAT") if last else "—"


def followup_send(*, followup_id: int, now: datetime | None = None) -> FollowUp:
    """Send one scheduled follow-up as a message in the thread (once: the message's
    client id is the follow-up's). A refusal (the customer blocked since, the text too
    long once filled) is kept on the follow-up."""
    now = now or timezone.now()
    with transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update()
            .select_related("provider__user", "customer", "card__relationship")
            .filter(pk=followup_id, status=FollowUp.Status.SCHEDULED)
            .first()
        )
        if followup is None:
            raise Conflict(NOT_SCHEDULED)
        text = placeholders_fill(followup, now)
        try:
            with transaction.atomic():
                message, _created = message_send_to_customer(
                    provider=followup.provider,
                    customer_id=followup.customer_id,
                    text=text,
                    client_id=f"followup-{followup.pk}",
                )
        except (Refused, InvalidInput, NotFound, Conflict) as exc:
            followup.status = FollowUp.Status.FAILED
            followup.failure = _reason(exc)[:300]
            followup.text = text
            followup.save(update_fields=["status", "failure", "text"])
            return followup
        followup.status = FollowUp.Status.SENT
        followup.sent_at = now
        followup.text = text
        followup.message_id = message.pk
        followup.save(update_fields=["status", "sent_at", "text", "message_id"])
        suggestion_clear(followup)
    return followup


def _reason(exc: ServiceError) -> str:
    if isinstance(exc, InvalidInput):
        return " ".join(str(e) for errors in exc.errors.values() for e in errors)
    return str(exc.message)


def followups_due_send(*, now: datetime | None = None) -> int:
    """Send the scheduled follow-ups whose time has come (the periodic job)."""
    now = now or timezone.now()
    sent = 0
    while True:
        due = list(
            FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, send_at__lte=now)
            .order_by("send_at", "id")
            .values_list("pk", flat=True)[:SEND_BATCH]
        )
        if not due:
            return sent
        for pk in due:
            try:
                followup_send(followup_id=pk, now=now)
            except Conflict:
                continue  # cancelled or sent meanwhile
            sent += 1
