"""Booking pages: a provider's free times, one's bookings, a booking, the provider's
reservations settings, and the calendar files."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.billing import pricing
from aizuchi.billing.models import Charge
from aizuchi.billing.selectors import price_yen
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refused
from aizuchi.core.forms import act, submit_form
from aizuchi.core.redirects import redirect_local
from aizuchi.relationships.selectors import relationship_for
from aizuchi.storefront.area import provider_area, render_manage
from aizuchi.storefront.selectors import provider_get
from aizuchi.storefront.selectors.offerings import (
    OFFERING_NOT_FOUND,
    offering_policy_summary,
    offerings_for_provider,
)
from aizuchi.storefront.services import favourites

from . import selectors
from .forms import (
    AvailabilityChangeForm,
    BookForm,
    BookingSettingsForm,
    ReasonForm,
    RescheduleForm,
)
from .models import AvailabilityChange, Booking
from .services import bookings as booking_services
from .services import calendar as calendar_services
from .services import slots as slot_services

DAYS_SHOWN = 14
BOOKED = _("Booked. You will find it under your bookings.")
REQUESTED = _("Your request is sent. The provider will confirm it soon.")
CANCELLED = _("The booking is cancelled.")
CANCELLED_WITH_FEE = _("The booking is cancelled. A late cancellation fee of ¥%(fee)s applies.")
MOVED = _("The booking is moved.")
CONFIRMED = _("The booking is confirmed.")
DECLINED = _("The request is declined; the customer's points are released.")
NO_SHOW = _("Marked as not attended.")
SETTINGS_SAVED = _("Your reservation settings are saved.")
CHANGE_ADDED = _("The change to your availability is saved.")
CHANGE_REMOVED = _("The change is removed.")
CALENDAR_RENEWED = _("Your calendar has a new address; the old one no longer works.")


@require_http_methods(["GET", "POST"])
def provider_slots(request: HttpRequest, provider_id: int) -> HttpResponse:
    """A provider's free times for one offering, and booking one of them."""
    provider = provider_get(provider_id=provider_id)
    offerings = offerings_for_provider(provider=provider, active_only=True)
    if not offerings:
        raise Http404
    wanted = request.GET.get("offering") or request.POST.get("offering_id")
    offering = next((o for o in offerings if str(o.pk) == str(wanted)), offerings[0])
    form = BookForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")

        def book(data):
            if str(data["offering_id"]) != str(offering.pk):  # not one of this provider's
                raise NotFound(OFFERING_NOT_FOUND)
            return booking_services.booking_request(
                customer=request.user,
                offering_id=offering.pk,
                start=data["start"],
                key=data["idempotency_key"],
                note=data.get("note", ""),
            )

        def quote(data):
            if str(data["offering_id"]) != str(offering.pk):  # not one of this provider's
                raise NotFound(OFFERING_NOT_FOUND)
            return booking_services.booking_quote(
                customer=request.user, offering_id=offering.pk, start=data["start"]
            )

        confirmed = request.POST.get("confirmed") in ("1", "on", "true")
        try:
            if confirmed:
                booking = submit_form(form, book, conflict_field="start")
            else:
                booking = None
                terms = submit_form(form, quote, conflict_field="start")
                if terms is not None:
                    return render(
                        request,
                        "booking/confirm.html",
                        {"provider": provider, "quote": terms, "form": form},
                    )
        except Refused as refused:
            booking, refusal = None, refused.reasons
        if (
            booking is None
            and confirmed
            and "note" in form.errors
            and {"offering_id", "start"} <= form.cleaned_data.keys()
        ):
            # The note was refused on the confirmation step: show that step again.
            with contextlib.suppress(Refused, Conflict, NotFound, InvalidInput):
                terms = quote(form.cleaned_data)
                return render(
                    request,
                    "booking/confirm.html",
                    {"provider": provider, "quote": terms, "form": form},
                    status=400,
                )
        if booking is not None:
            if form.cleaned_data.get("favourite"):
                with contextlib.suppress(Conflict):  # one's own storefront: nothing to keep
                    favourites.favourite_add(customer=request.user, provider_id=provider.pk)
            messages.success(request, REQUESTED if booking.status == "pending" else BOOKED)
            return redirect("booking:detail", booking.pk)
    row = (
        relationship_for(provider_id=provider.pk, customer_id=request.user.pk)
        if request.user.is_authenticated
        else None
    )
    newcomer = row is None or row.is_newcomer
    found = slot_services.booking_settings_for(provider)
    slots = slot_services.slots_for(
        provider=provider,
        offering=offering,
        days=DAYS_SHOWN,
        newcomer=newcomer,
        relationship=row,
    )
    minutes = found.slot_minutes(offering.channel)
    return render(
        request,
        "booking/provider.html",
        {
            "provider": provider,
            "offerings": offerings,
            "offering": offering,
            "summary": offering_policy_summary(
                offering, first_session=row is None or row.sessions_billed == 0
            ),
            "days": slot_services.slots_by_day(slots),
            "minutes": minutes,
            "price": price_yen(
                customer=request.user,
                offering=offering,
                seconds=minutes * 60,
                history=pricing.History(earlier_sessions=row.sessions_billed),
            )
            if row is not None
            else None,
            "settings": found,
            "form": form,
            "refusal": refusal,
            "newcomer": newcomer,
        },
        status=400 if form.errors or refusal else 200,
    )


@login_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    return render(
        request, "booking/list.html", selectors.bookings_for_customer(customer=request.user)
    )


@login_required
@require_GET
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_get_for_participant(user=request.user, booking_id=booking_id)
    role = "provider" if booking.provider.user_id == request.user.pk else "customer"
    now = timezone.now()
    found = slot_services.booking_settings_for(booking.provider)
    return render(
        request,
        "booking/detail.html",
        {
            "booking": booking,
            "role": role,
            "settings": found,
            "free_until": booking.start_at - dt.timedelta(hours=found.cancel_hours),
            "now": now,
            "fee_now": booking_services.cancellation_fee_yen(
                booking, by_customer=role == "customer", now=now
            ),
            "can_enter": role == "customer"
            and booking.status == Booking.Status.CONFIRMED
            and booking.start_at - selectors.EARLY_ENTRY <= now < booking.end_at,
            "can_change": booking.is_live and booking.start_at > now and not booking.session_id,
            "can_no_show": role == "provider"
            and booking.status == Booking.Status.CONFIRMED
            and not booking.session_id
            and now >= booking.start_at + booking_services.NO_SHOW_AFTER,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def booking_action(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    user = request.user
    if action == "cancel":

        def cancelled(booking):
            fee = Charge.objects.filter(booking_id=booking.pk).first()
            if fee is not None and fee.amount_yen:
                return CANCELLED_WITH_FEE % {"fee": f"{fee.amount_yen:,}"}
            return CANCELLED

        act(
            request,
            lambda: booking_services.booking_cancel(
                user=user, booking_id=booking_id, reason=reason
            ),
            cancelled,
        )
    elif action == "confirm":
        act(
            request,
            lambda: booking_services.booking_confirm(user=user, booking_id=booking_id),
            lambda _b: CONFIRMED,
        )
    elif action == "decline":
        act(
            request,
            lambda: booking_services.booking_decline(
                user=user, booking_id=booking_id, reason=reason
            ),
            lambda _b: DECLINED,
        )
    elif action == "no_show":
        act(
            request,
            lambda: booking_services.booking_no_show(user=user, booking_id=booking_id),
            lambda _b: NO_SHOW,
        )
    else:
        raise Http404
    return redirect_local(
        request,
        request.POST.get("next"),
        fallback=reverse("booking:detail", args=[booking_id]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_reschedule(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_get_for_participant(user=request.user, booking_id=booking_id)
    form = RescheduleForm(request.POST or None)
    if request.method == "POST":
        moved = submit_form(
            form,
            lambda data: booking_services.booking_reschedule(
                user=request.user, booking_id=booking.pk, start=data["start"]
            ),
            conflict_field="start",
        )
        if moved is not None:
            messages.success(request, MOVED)
            return redirect("booking:detail", booking.pk)
    row = relationship_for(provider_id=booking.provider_id, customer_id=booking.customer_id)
    slots = []
    if booking.offering is not None:
        slots = slot_services.slots_for(
            provider=booking.provider,
            offering=booking.offering,
            days=DAYS_SHOWN,
            newcomer=row.is_newcomer,
            relationship=row,
        )
    return render(
        request,
        "booking/reschedule.html",
        {"booking": booking, "days": slot_services.slots_by_day(slots), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def booking_ics(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_get_for_participant(user=request.user, booking_id=booking_id)
    response = HttpResponse(
        calendar_services.booking_file(booking=booking, viewer=request.user),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="aizuchi-booking-{booking.pk}.ics"'
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The provider's private feed: anyone with the secret address (a calendar app)."""
    response = HttpResponse(
        calendar_services.provider_feed(token=token), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- the provider's reservations page ---------------------------------------------------------


@require_http_methods(["GET", "POST"])
@provider_area("bookings")
def manage(request: HttpRequest, *, provider) -> HttpResponse:
    found = slot_services.booking_settings_for(provider)
    settings_form = BookingSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None, instance=found
    )
    change_form = AvailabilityChangeForm(
        request.POST if request.POST.get("form") == "change" else None
    )
    if request.method == "POST":
        form = request.POST.get("form")
        done = None
        if form == "settings":
            done = submit_form(
                settings_form,
                lambda data: slot_services.booking_settings_update(provider=provider, **data),
            )
            text = SETTINGS_SAVED
        elif form == "change":
            done = submit_form(
                change_form,
                lambda data: slot_services.availability_change_add(provider=provider, **data),
            )
            text = CHANGE_ADDED
        if done is not None:
            messages.success(request, text)
            return redirect("booking:manage")
    return render_manage(
        request,
        "booking/manage.html",
        {
            "bookings": selectors.bookings_for_provider(provider=provider),
            "settings_form": settings_form,
            "change_form": change_form,
            "changes": AvailabilityChange.objects.filter(
                provider=provider, date__gte=timezone.localdate()
            ),
            "feed_url": (
                request.build_absolute_uri(reverse("booking:feed", args=[found.calendar_token]))
                if found.calendar_token
                else ""
            ),
            "now": timezone.now(),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@provider_area("bookings")
def manage_change_remove(request: HttpRequest, change_id: int, *, provider) -> HttpResponse:
    try:
        slot_services.availability_change_remove(provider=provider, change_id=change_id)
    except NotFound as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, CHANGE_REMOVED)
    return redirect("booking:manage")


@require_POST
@provider_area("bookings")
def manage_calendar_renew(request: HttpRequest, *, provider) -> HttpResponse:
    slot_services.calendar_token_renew(provider=provider)
    messages.success(request, CALENDAR_RENEWED)
    return redirect("booking:manage")
