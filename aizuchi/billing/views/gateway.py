"""Gateway endpoints: the callback every hosted checkout posts its signed result to, and
the sandbox gateway's own checkout page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from aizuchi.core.errors import Conflict, InvalidInput

from .. import gateways
from ..gateways.sandbox import OUTCOMES, SandboxGateway
from ..models import Payment
from ..services import payments as payment_services


@csrf_exempt  # a gateway's server posts here; its signature is what is checked
@require_POST
def callback(request: HttpRequest, code: str) -> HttpResponse:
    try:
        payment = payment_services.payment_callback(gateway_code=code, request=request)
    except InvalidInput:
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    except Conflict:
        return HttpResponse("payment already closed", status=409, content_type="text/plain")
    if request.POST.get("return") == "browser":
        return redirect("billing:payment", payment.pk)
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_GET
def sandbox_checkout(request: HttpRequest, token: str) -> HttpResponse:
    """The sandbox's hosted payment page: the customer chooses how the payment ends."""
    gateway = gateways.get(SandboxGateway.code)
    payment = Payment.objects.filter(
        token=token, gateway=SandboxGateway.code, customer=request.user
    ).first()
    if gateway is None or payment is None:
        raise Http404
    if payment.status != Payment.Status.PENDING:  # paid, declined or cancelled already
        return redirect("billing:payment", payment.pk)
    return render(
        request,
        "billing/sandbox_checkout.html",
        {
            "payment": payment,
            "outcomes": [gateway.signed_fields(payment.token, outcome) for outcome in OUTCOMES],
        },
    )
