"""The customer's money pages: wallet, payments, invoices, charges, receipts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.errors import NotFound
from aizuchi.core.forms import act, submit_form

from .. import gateways, selectors
from ..forms import POINTS_METHOD, InvoicePayForm, PointsPurchaseForm, RefundForm
from ..models import Payment
from ..services import invoices as invoice_services
from ..services import payments as payment_services

PAYMENT_CANCELLED = _("The payment was cancelled.")
INVOICE_PAID_WITH_POINTS = _("¥%(amount)s was paid with your points.")


@login_required
@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        if data.get("quick_amount"):  # one of the set-amount buttons
            data["amount_yen"] = data["quick_amount"]
    form = PointsPurchaseForm(data)
    if request.method == "POST":
        payment = submit_form(
            form,
            lambda data: payment_services.points_purchase_start(
                customer=request.user,
                amount_yen=data["amount_yen"],
                gateway_code=data["gateway"],
                key=data["idempotency_key"],
            ),
        )
        if payment is not None:
            return redirect(_next_step_url(payment))
    return render(
        request,
        "billing/wallet.html",
        {
            "summary": selectors.wallet_summary(customer=request.user),
            "history": selectors.wallet_history(
                customer=request.user, page=request.GET.get("page")
            ),
            "pending": selectors.payments_pending(customer=request.user),
            "form": form,
            "choices": settings.AIZUCHI_BILLING["POINTS_CHOICES"],
        },
        status=400 if form.errors else 200,
    )


def _next_step_url(payment: Payment) -> str:
    """Where the customer goes after starting a payment: a hosted checkout, or the page
    with the bank details."""
    gateway = gateways.get(payment.gateway)
    step = gateway.begin(payment) if gateway else None
    if step is not None and step.kind == "redirect":
        return step.url
    return reverse("billing:payment", args=[payment.pk])


@login_required
@require_GET
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.payment_get_for_customer(customer=request.user, payment_id=payment_id)
    gateway = gateways.get(payment.gateway)
    step = None
    if payment.status == Payment.Status.PENDING and gateway is not None:
        step = gateway.begin(payment)
    return render(request, "billing/payment.html", {"payment": payment, "step": step})


@login_required
@require_POST
def payment_cancel(request: HttpRequest, payment_id: int) -> HttpResponse:
    act(
        request,
        lambda: payment_services.payment_cancel(customer=request.user, payment_id=payment_id),
        PAYMENT_CANCELLED,
    )
    return redirect("billing:payment", payment_id)


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    page = selectors.invoices_for_customer(customer=request.user, page=request.GET.get("page"))
    return render(request, "billing/invoices.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_customer(customer=request.user, invoice_id=invoice_id)
    form = InvoicePayForm(
        request.POST or None, initial={"amount_yen": invoice.outstanding_yen, "method": "points"}
    )
    if request.method == "POST":

        def pay(data):
            if data["method"] == POINTS_METHOD:
                return invoice_services.invoice_pay_from_points(
                    customer=request.user,
                    invoice_id=invoice.pk,
                    amount_yen=data["amount_yen"],
                    key=data["idempotency_key"],
                )
            return payment_services.invoice_payment_start(
                customer=request.user,
                invoice_id=invoice.pk,
                amount_yen=data["amount_yen"],
                gateway_code=data["method"],
                key=data["idempotency_key"],
            )

        result = submit_form(form, pay)
        if isinstance(result, Payment):
            return redirect(_next_step_url(result))
        if result is not None:
            paid = int(form.cleaned_data["amount_yen"])
            messages.success(request, INVOICE_PAID_WITH_POINTS % {"amount": f"{paid:,}"})
            return redirect("billing:invoice", invoice.pk)
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "form": form,
            "summary": selectors.wallet_summary(customer=request.user),
            "payments": invoice.payments.order_by("-created_at"),
            "movements": selectors.invoice_movements(invoice=invoice),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def charge_detail(request: HttpRequest, charge_id: int) -> HttpResponse:
    """Why was I charged this? The terms applied, the line items and the ledger trail."""
    charge = selectors.charge_get_for_viewer(user=request.user, charge_id=charge_id)
    return render(
        request,
        "billing/charge.html",
        {
            "charge": charge,
            "entries": selectors.charge_entries(charge=charge, viewer=request.user),
            "invoice": getattr(charge, "invoice", None),
            "show_split": request.user.is_staff or charge.provider.user_id == request.user.pk,
            "refund_form": RefundForm() if request.user.is_staff else None,
        },
    )


@login_required
@require_GET
def receipt_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = selectors.payment_get_for_customer(customer=request.user, payment_id=payment_id)
    if payment.status != Payment.Status.SUCCEEDED:
        raise NotFound(selectors.RECEIPT_NOT_FOUND)
    return render(
        request,
        "billing/receipt.html",
        {"payment": payment, "receipt": selectors.receipt(payment)},
    )
