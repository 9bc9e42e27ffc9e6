"""Pages of live sessions: start, the session itself, its summary and transcript, the
provider's standby console."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from aizuchi.access import services as access_services
from aizuchi.access.policy import BOOK_INSTEAD_CODES
from aizuchi.billing.models import Charge
from aizuchi.booking.forms import BookForm
from aizuchi.booking.services.slots import slots_by_day, slots_for
from aizuchi.core.errors import Conflict, http_status
from aizuchi.core.forms import act
from aizuchi.presence.services import CHOSEN_STATES
from aizuchi.storefront.area import provider_area, render_manage
from aizuchi.storefront.selectors.offerings import offering_get

from . import selectors
from .models import Session
from .services import sessions

INVITED = _("%(customer)s can come in for the next %(minutes)s minutes.")
BLOCKED = _("%(customer)s can no longer start sessions with you.")
UNBLOCKED = _("%(customer)s can start sessions with you again.")


def _live_settings() -> dict:
    live, realtime = settings.AIZUCHI_LIVE, settings.AIZUCHI_REALTIME
    return {
        "ping_seconds": realtime["CLIENT_PING_SECONDS"],
        "silence_prompts": live["SILENCE_PROMPT_SECONDS"],
        "warn_before": live["WARN_BEFORE_SECONDS"],
        "ice_servers": live["ICE_SERVERS"],
    }


@login_required
@require_POST
def session_start(request: HttpRequest) -> HttpResponse:
    """A customer asks to talk now on one offering; the provider's standby page rings."""
    try:
        session = sessions.session_request(
            customer=request.user, offering_id=request.POST.get("offering_id")
        )
    except sessions.SessionRefused as refused:
        offering = offering_get(offering_id=request.POST.get("offering_id"))
        decision = refused.decision
        newcomer = decision.newcomer if decision is not None else True
        return render(
            request,
            "live/refused.html",
            {
                "reasons": refused.reasons,
                "next_steps": decision.next_steps if decision is not None else [],
                "provider": offering.provider,
                "offering": offering,
                **_next_times(offering, refused.codes, newcomer=newcomer),
            },
            status=http_status(refused),
        )
    return redirect("live:session", session.pk)


def _next_times(offering, codes: list[str], *, newcomer: bool) -> dict:
    """The next few free times, for someone who could not talk now."""
    if not set(codes) & set(BOOK_INSTEAD_CODES):
        return {}
    provider = offering.provider
    slots = slots_for(provider=provider, offering=offering, newcomer=newcomer)
    # Newcomers see the times kept for them first.
    slots = sorted(slots, key=lambda slot: (not slot.newcomers_only, slot.start))[:6]
    return {
        "days": slots_by_day(sorted(slots)),
        "book_form": BookForm(),
        "newcomer": newcomer,
    }


@login_required
@require_GET
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_get_for_participant(user=request.user, session_id=session_id)
    if session.status not in Session.LIVE_STATUSES:
        return redirect("live:summary", session.pk)
    return render(
        request,
        "live/session.html",
        {"session": session, "role": session.role_of(request.user), "live": _live_settings()},
    )


@login_required
@require_GET
def session_summary(request: HttpRequest, session_id: int) -> HttpResponse:
    """What happened and what it cost: both sides see it; the customer may review."""
    session = selectors.session_get_for_participant(user=request.user, session_id=session_id)
    role = session.role_of(request.user)
    charge = Charge.objects.filter(session_id=session.pk).first()
    return render(
        request,
        "live/summary.html",
        {
            "session": session,
            "role": role,
            "charge": charge,
            "messages_count": session.messages.count(),
        },
    )


@login_required
@require_GET
def session_transcript(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_get_for_participant(user=request.user, session_id=session_id)
    return render(
        request,
        "live/transcript.html",
        {
            "session": session,
            "role": session.role_of(request.user),
            "chat_messages": selectors.transcript(session=session),
        },
    )


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    page = selectors.sessions_for_user(user=request.user, page=request.GET.get("page"))
    return render(request, "live/sessions.html", {"page": page})


# --- the provider's standby console ----------------------------------------------------------


@require_GET
@provider_area("console")
def console(request: HttpRequest, *, provider) -> HttpResponse:
    """The page a provider keeps open while on standby; the state switch is a plain form
    to presence's page (it works without JS), the socket switches it too."""
    return render_manage(
        request,
        "live/console.html",
        {
            "states": [(state.value, state.label) for state in CHOSEN_STATES],
            "standby": selectors.standby_state(provider=provider),
            "customers": selectors.recent_customers(provider=provider),
            "live": _live_settings(),
        },
    )


@require_POST
@provider_area("console")
def console_customer(request: HttpRequest, customer_id: int, *, provider) -> HttpResponse:
    """Invite a past customer in during appointment standby, or block / unblock them."""
    action = request.POST.get("action")
    if action == "invite":
        act(
            request,
            lambda: access_services.invitation_create(
                provider=provider, customer_id=customer_id, minutes=request.POST.get("minutes")
            ),
            lambda invitation: (
                INVITED
                % {
                    "customer": invitation.customer.public_name,
                    "minutes": request.POST.get("minutes"),
                }
            ),
        )
    elif action in ("block", "unblock"):
        customer = selectors.past_customer(provider=provider, customer_id=customer_id)
        act(
            request,
            lambda: access_services.block_set(
                provider=provider, customer_id=customer_id, blocked=action == "block"
            ),
            (BLOCKED if action == "block" else UNBLOCKED) % {"customer": customer.public_name},
        )
    return redirect("live:console")


@login_required
@require_POST
def ringing_answer(request: HttpRequest, session_id: int, answer: str) -> HttpResponse:
    """Accept or decline from the standby page without JavaScript."""
    action = sessions.session_accept if answer == "accept" else sessions.session_decline
    try:
        session = action(user=request.user, session_id=session_id)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("live:console")
    if answer == "accept":
        return redirect("live:session", session.pk)
    return redirect("live:console")
