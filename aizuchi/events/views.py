"""Event pages: the customer's event page (register, waitlist, cancel), their events, the
.ics file; the provider's events, editor, attendee list, check-in and no-show."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.errors import Conflict, InvalidInput, Refused, lazy_format
from aizuchi.core.forms import act, add_service_errors
from aizuchi.crm.selectors import tier_names
from aizuchi.storefront.area import provider_area, render_manage

from . import selectors
from .forms import EventForm, InviteForm, RegisterForm
from .models import Event, Registration
from .services import calendar as calendar_services
from .services import events as event_services
from .services import registrations as registration_services

REGISTERED = _("You are registered. See you there!")
WAITLISTED = _(
    "This event is full this time. You are on the waitlist, and we will hold a seat for you "
    "if one opens. We hope to see you, if not this time then next time."
)
CANCELLED = _("Your registration is cancelled.")
CANCELLED_WITH_FEE = _(
    "Your registration is cancelled. A late cancellation fee of ¥%(fee)s applies."
)
ACCEPTED = _("Your seat is confirmed. See you there!")
SAVED = _("The event is saved.")
EVENT_CANCELLED = _("The event is cancelled; everyone registered has been told.")
INVITED = _("%(count)d customers invited.")
MARKED = _("Saved.")
INVITE_SENT = _("The invitation to the event is sent in the thread.")


@login_required
@require_GET
def event_room(request: HttpRequest, event_id: int) -> HttpResponse:
    """The online group talk room, for the host and confirmed attendees (404 for anyone
    else); the socket does the rest (docs/realtime.md, /ws/events/<id>/room/)."""
    seat = selectors.room_seat_get_for_member(user=request.user, event_id=event_id)
    return render(
        request,
        "events/room.html",
        {
            "event": seat.event,
            "seat": seat,
            "open": selectors.room_is_open(seat.event),
            "opens_at": seat.event.starts_at - selectors.ROOM_OPENS_BEFORE,
            "voice": selectors.room_voice_allowed(seat.event),
            "ping_seconds": settings.AIZUCHI_REALTIME["CLIENT_PING_SECONDS"],
        },
    )


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    """The event as a customer (or a visitor) sees it."""
    user = request.user if request.user.is_authenticated else None
    event = selectors.event_get_for_customer(user=user, event_id=event_id)
    registration = selectors.registration_of(event=event, user=user)
    now = timezone.now()
    seated = registration is not None and registration.sees_meeting_point
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": registration,
            "position": selectors.waitlist_position(registration)
            if registration is not None and registration.state == Registration.State.WAITLISTED
            else None,
            "show_meeting_point": seated,
            "is_owner": user is not None and event.provider.user_id == user.pk,
            "open": event.status == Event.Status.SCHEDULED
            and now < event.registration_closes_at
            and now < event.starts_at,
            "can_cancel": registration is not None
            and registration.state
            in (
                Registration.State.CONFIRMED,
                Registration.State.WAITLISTED,
                Registration.State.OFFERED,
            )
            and now < event.starts_at,
            "fee_now": registration_services.late_cancel_fee_yen(registration, now=now)
            if registration is not None
            else 0,
            "now": now,
            "form": RegisterForm(),
        },
    )


@login_required
@require_POST
def event_register(request: HttpRequest, event_id: int) -> HttpResponse:
    # Someone else's invite-only event, or a blocked customer: the 404, before anything.
    selectors.event_get_for_customer(user=request.user, event_id=event_id)
    form = RegisterForm(request.POST)
    detail = reverse("events:detail", args=[event_id])
    if not form.is_valid():
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect(detail)
    try:
        registration = registration_services.event_register(
            customer=request.user, event_id=event_id, key=form.cleaned_data["idempotency_key"]
        )
    except Refused as refused:
        for reason in refused.reasons:
            messages.error(request, str(reason.message))
        return redirect(detail)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect(detail)
    if registration.state == Registration.State.WAITLISTED:
        messages.info(request, WAITLISTED)
    else:
        messages.success(request, REGISTERED)
    return redirect(detail)


@login_required
@require_POST
def registration_cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    found = selectors.registration_get_for_customer(
        user=request.user, registration_id=registration_id
    )
    fee = registration_services.late_cancel_fee_yen(found, now=timezone.now())
    act(
        request,
        lambda: registration_services.registration_cancel(
            user=request.user, registration_id=registration_id
        ),
        lazy_format(CANCELLED_WITH_FEE, fee=f"{fee:,}") if fee else CANCELLED,
    )
    return redirect("events:detail", found.event_id)


@login_required
@require_POST
def offer_accept(request: HttpRequest, registration_id: int) -> HttpResponse:
    found = selectors.registration_get_for_customer(
        user=request.user, registration_id=registration_id
    )
    try:
        act(
            request,
            lambda: registration_services.offer_accept(
                user=request.user, registration_id=registration_id
            ),
            ACCEPTED,
        )
    except Refused as refused:
        for reason in refused.reasons:
            messages.error(request, str(reason.message))
    return redirect("events:detail", found.event_id)


@login_required
@require_GET
def my_events(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "events/mine.html",
        {"registrations": selectors.events_for_customer(user=request.user)[:100]},
    )


@require_GET
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    event = selectors.event_get_for_customer(user=user, event_id=event_id)
    registration = selectors.registration_of(event=event, user=user)
    seated = registration is not None and registration.sees_meeting_point
    owner = user is not None and event.provider.user_id == user.pk
    body = calendar_services.event_file(
        event=event, viewer=user, show_meeting_point=seated or owner
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


# --- the provider's area -----------------------------------------------------------------------


@provider_area("events")
@require_GET
def manage_list(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(
        request,
        "events/manage_list.html",
        {"events": selectors.events_for_owner(user=request.user)[:200], "now": timezone.now()},
    )


@provider_area("events")
@require_http_methods(["GET", "POST"])
def manage_edit(request: HttpRequest, event_id: int | None = None, *, provider) -> HttpResponse:
    event = (
        selectors.event_get_for_owner(user=request.user, event_id=event_id)
        if event_id is not None
        else None
    )
    tiers = tier_names(provider=provider)
    if request.method == "POST":
        form = EventForm(request.POST, tier_names=tiers)
        if form.is_valid():
            data = dict(form.cleaned_data)
            series_title = data.pop("series_title", "")
            try:
                if event is None:
                    saved = event_services.event_create(
                        user=request.user, fields=data, series_title=series_title
                    )
                else:
                    saved = event_services.event_update(
                        user=request.user, event_id=event.pk, fields=data
                    )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, SAVED)
                return redirect("events:manage", saved.pk)
        status = 400
    else:
        form = (
            EventForm.for_event(event, tier_names=tiers)
            if event is not None
            else EventForm(tier_names=tiers)
        )
        status = 200
    return render_manage(
        request, "events/manage_edit.html", {"form": form, "event": event}, status=status
    )


@provider_area("events")
@require_GET
def manage_event(request: HttpRequest, event_id: int, *, provider) -> HttpResponse:
    event = selectors.event_get_for_owner(user=request.user, event_id=event_id)
    invited = list(event.invitations.select_related("customer"))
    already = {invitation.customer_id for invitation in invited}
    invitable = [
        customer
        for customer in event_services.invitable_customers(provider=provider)
        if customer.pk not in already
    ]
    return render_manage(
        request,
        "events/manage_event.html",
        {
            "event": event,
            "registrations": list(selectors.attendees(event=event)),
            "invite_form": InviteForm(customers=invitable),
            "invited": invited,
            "now": timezone.now(),
        },
    )


@provider_area("events")
@require_POST
def manage_cancel(request: HttpRequest, event_id: int, *, provider) -> HttpResponse:
    act(
        request,
        lambda: event_services.event_cancel(user=request.user, event_id=event_id),
        EVENT_CANCELLED,
    )
    return redirect("events:manage", event_id)


@provider_area("events")
@require_POST
def manage_invite(request: HttpRequest, event_id: int, *, provider) -> HttpResponse:
    act(
        request,
        lambda: event_services.event_invite(
            user=request.user, event_id=event_id, customer_ids=request.POST.getlist("customers")
        ),
        lambda count: str(lazy_format(INVITED, count=count)),
    )
    return redirect("events:manage", event_id)


@provider_area("events")
@require_POST
def manage_mark(request: HttpRequest, registration_id: int, state: str, *, provider):
    found = selectors.registration_get_for_owner(user=request.user, registration_id=registration_id)
    mark = (
        registration_services.registration_check_in
        if state == Registration.State.ATTENDED
        else registration_services.registration_no_show
    )
    act(request, lambda: mark(user=request.user, registration_id=registration_id), MARKED)
    return redirect("events:manage", found.event_id)


@provider_area("events")
@require_POST
def invite_reply(request: HttpRequest, thread_id: int, *, provider) -> HttpResponse:
    """From a message thread: the template reply inviting to the next suitable event."""
    act(
        request,
        lambda: event_services.event_invite_reply(user=request.user, thread_id=thread_id),
        INVITE_SENT,
    )
    return redirect("messaging:thread", thread_id)
