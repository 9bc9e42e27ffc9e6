"""Staff pages: confirm manual payments, decide payouts, refund, adjust, set commission.

Every view is for staff only; the services check it again (``require_staff``), so the
rule holds wherever they are called from.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.forms import act, submit_form
from aizuchi.core.money import whole_number

from .. import selectors
from ..forms import AdjustmentForm, CommissionForm, PayoutPaidForm, PayoutRejectForm, RefundForm
from ..gateways.manual import payment_reference
from ..models import CommissionRate
from ..services import charges as charge_services
from ..services import payments as payment_services
from ..services import payouts as payout_services

PAYMENT_CONFIRMED = _("Payment %(reference)s is confirmed and credited.")
PAYMENT_REFUSED = _("Payment %(reference)s is closed as not received.")
PAYOUT_APPROVED = _("The payout request is approved. Record the transfer once it is made.")
PAYOUT_PAID = _("The payout is recorded as sent.")
PAYOUT_REJECTED = _("The payout request is rejected; the amount is back in the earnings.")
REFUNDED = _("¥%(amount)s refunded.")
ADJUSTED = _("The adjustment is posted.")
COMMISSION_SAVED = _("The commission rate is saved.")


def staff_only(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@staff_only
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "billing/staff/overview.html",
        {
            "payments": selectors.payments_awaiting_confirmation(),
            "payouts": selectors.payouts_open(),
            "totals": selectors.ledger_totals(),
            "paid_form": PayoutPaidForm(),
            "reject_form": PayoutRejectForm(),
        },
    )


@require_POST
@staff_only
def payment_decide(request: HttpRequest, payment_id: int, decision: str) -> HttpResponse:
    if decision == "confirm":
        action, text = payment_services.payment_confirm, PAYMENT_CONFIRMED
    else:
        action, text = payment_services.payment_refuse, PAYMENT_REFUSED
    act(
        request,
        lambda: action(user=request.user, payment_id=payment_id),
        lambda payment: text % {"reference": payment_reference(payment)},
    )
    return redirect("billing:staff")


@require_POST
@staff_only
def payout_decide(request: HttpRequest, payout_id: int, decision: str) -> HttpResponse:
    if decision == "approve":
        act(
            request,
            lambda: payout_services.payout_approve(user=request.user, payout_id=payout_id),
            lambda _payout: PAYOUT_APPROVED,
        )
    elif decision == "paid":
        form = PayoutPaidForm(request.POST)
        if _valid_or_said(request, form):
            act(
                request,
                lambda: payout_services.payout_mark_paid(
                    user=request.user,
                    payout_id=payout_id,
                    reference=form.cleaned_data["reference"],
                ),
                lambda _payout: PAYOUT_PAID,
            )
    else:
        form = PayoutRejectForm(request.POST)
        if _valid_or_said(request, form):
            act(
                request,
                lambda: payout_services.payout_reject(
                    user=request.user, payout_id=payout_id, note=form.cleaned_data["note"]
                ),
                lambda _payout: PAYOUT_REJECTED,
            )
    return redirect("billing:staff")


def _valid_or_said(request: HttpRequest, form) -> bool:
    """A one-field form of the overview page: valid, or its errors said as messages (the
    overview shows one form per payout, so the page is not rendered again around one)."""
    if form.is_valid():
        return True
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return False


@require_POST
@staff_only
def charge_refund(request: HttpRequest, charge_id: int) -> HttpResponse:
    form = RefundForm(request.POST)
    entry = submit_form(
        form,
        lambda data: charge_services.charge_refund(
            user=request.user,
            charge_id=charge_id,
            amount_yen=data["amount_yen"],
            reason=data["reason"],
            key=data["idempotency_key"],
        ),
    )
    if entry is not None:
        refunded = whole_number(form.cleaned_data["amount_yen"])
        messages.success(request, REFUNDED % {"amount": f"{refunded:,}"})
        return redirect("billing:charge", charge_id)
    charge = selectors.charge_get_for_viewer(user=request.user, charge_id=charge_id)
    return render(
        request,
        "billing/charge.html",
        {
            "charge": charge,
            "entries": selectors.charge_entries(charge=charge, viewer=request.user),
            "invoice": getattr(charge, "invoice", None),
            "show_split": True,
            "refund_form": form,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
@staff_only
def adjust(request: HttpRequest) -> HttpResponse:
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        entry = submit_form(
            form,
            lambda data: charge_services.adjustment_post(
                user=request.user,
                target=data["target"],
                owner_id=data["owner_id"],
                amount_yen=data["amount_yen"],
                reason=data["reason"],
                key=data["idempotency_key"],
            ),
        )
        if entry is not None:
            messages.success(request, ADJUSTED)
            return redirect("billing:staff_adjust")
    return render(
        request,
        "billing/staff/adjust.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_only
def commission(request: HttpRequest) -> HttpResponse:
    form = CommissionForm(request.POST or None)
    if request.method == "POST":
        done = submit_form(
            form,
            lambda data: (
                payout_services.commission_rate_set(
                    user=request.user,
                    provider_id=data["provider_id"],
                    rate_percent=data["rate_percent"],
                )
                or True
            ),
        )
        if done is not None:
            messages.success(request, COMMISSION_SAVED)
            return redirect("billing:staff_commission")
    return render(
        request,
        "billing/staff/commission.html",
        {
            "form": form,
            "rates": CommissionRate.objects.select_related("provider").order_by("provider_id"),
            "default_bp": selectors.commission_rate_default(),
        },
        status=400 if form.errors else 200,
    )
