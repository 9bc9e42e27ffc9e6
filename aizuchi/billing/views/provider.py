"""The provider's money pages, inside their own area: earnings, payouts, statements,
and invoices their postpaid customers owe."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aizuchi.core.forms import act, submit_form
from aizuchi.storefront.area import provider_area, render_manage

from .. import selectors
from ..forms import CashReceivedForm, PayoutAccountForm, PayoutRequestForm
from ..services import payments as payment_services
from ..services import payouts as payout_services

PAYOUT_REQUESTED = _("Your payout request for ¥%(amount)s is sent. Staff will review it.")
PAYOUT_CANCELLED = _("Your payout request was withdrawn; the amount is back in your earnings.")
CASH_RECORDED = _("¥%(amount)s from %(customer)s is recorded.")


@require_http_methods(["GET", "POST"])
@provider_area("earnings")
def earnings(request: HttpRequest, *, provider) -> HttpResponse:
    form = PayoutRequestForm(request.POST or None)
    if request.method == "POST":
        payout = submit_form(
            form,
            lambda data: payout_services.payout_request(
                provider=provider,
                user=request.user,
                amount_yen=data["amount_yen"],
                key=data["idempotency_key"],
            ),
        )
        if payout is not None:
            messages.success(request, PAYOUT_REQUESTED % {"amount": f"{payout.amount_yen:,}"})
            return redirect("billing:earnings")
    return _earnings_page(request, provider, form=form)


def _cash_form(invoice_id: int, *args, **kwargs) -> CashReceivedForm:
    """The "payment received" form of one invoice card (ids unique on the page)."""
    return CashReceivedForm(*args, auto_id=f"id_cash{invoice_id}_%s", **kwargs)


ACCOUNT_SAVED = _("Your payout account is saved.")


@require_POST
@provider_area("earnings")
def payout_account_save(request: HttpRequest, *, provider) -> HttpResponse:
    """Register or change the bank account payouts go to."""
    account_form = PayoutAccountForm(request.POST)
    saved = submit_form(
        account_form,
        lambda data: payout_services.payout_account_set(provider=provider, **data),
    )
    if saved is not None:
        messages.success(request, ACCOUNT_SAVED)
        return redirect("billing:earnings")
    return _earnings_page(request, provider, form=PayoutRequestForm(), account_form=account_form)


def _earnings_page(
    request, provider, *, form, cash_form=None, cash_invoice_id=None, account_form=None
):
    """The earnings page; a refused form (the payout request, or the cash received for
    one invoice) comes back with its errors and status 400."""
    invoices = selectors.invoices_open_for_provider(provider=provider)
    for invoice in invoices:
        invoice.cash_form = (
            cash_form
            if invoice.pk == cash_invoice_id
            else _cash_form(invoice.pk, initial={"amount_yen": invoice.outstanding_yen})
        )
    if cash_form is not None and cash_invoice_id not in {invoice.pk for invoice in invoices}:
        for errors in cash_form.errors.values():  # settled meanwhile: no card to show them
            for error in errors:
                messages.error(request, error)
    account = selectors.payout_account_for(provider=provider)
    if account_form is None:
        account_form = PayoutAccountForm(
            initial={
                field: getattr(account, field)
                for field in ("bank_name", "branch_name", "kind", "number", "holder")
            }
            if account
            else None
        )
    refused = (
        form.errors
        or (cash_form is not None and cash_form.errors)
        or (account_form.is_bound and account_form.errors)
    )
    return render_manage(
        request,
        "billing/provider/earnings.html",
        {
            "summary": selectors.earnings_summary(provider=provider),
            "charges": selectors.charges_for_provider(provider=provider),
            "invoices": invoices,
            "payouts": selectors.payouts_for_provider(provider=provider),
            "months": selectors.statement_months(provider=provider),
            "form": form,
            "account": account,
            "account_form": account_form,
        },
        status=400 if refused else 200,
    )


@require_POST
@provider_area("earnings")
def payout_cancel(request: HttpRequest, payout_id: int, *, provider) -> HttpResponse:
    act(
        request,
        lambda: payout_services.payout_cancel(
            provider=provider, user=request.user, payout_id=payout_id
        ),
        PAYOUT_CANCELLED,
    )
    return redirect("billing:earnings")


@require_POST
@provider_area("earnings")
def invoice_cash_received(request: HttpRequest, invoice_id: int, *, provider) -> HttpResponse:
    """The provider records that a customer paid them outside the platform."""
    form = _cash_form(invoice_id, request.POST)
    payment = submit_form(
        form,
        lambda data: payment_services.invoice_cash_received(
            user=request.user,
            invoice_id=invoice_id,
            amount_yen=data["amount_yen"],
            note=data["note"],
            key=data["idempotency_key"],
        ),
    )
    if payment is None:
        return _earnings_page(
            request, provider, form=PayoutRequestForm(), cash_form=form, cash_invoice_id=invoice_id
        )
    messages.success(
        request,
        CASH_RECORDED
        % {"amount": f"{payment.amount_yen:,}", "customer": payment.customer.public_name},
    )
    return redirect("billing:earnings")


def _cell(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula (nicknames are free text)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _statement_or_404(provider, year: int, month: int):
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404
    return selectors.statement_for_month(provider=provider, year=year, month=month)


@require_GET
@provider_area("earnings")
def statement(request: HttpRequest, year: int, month: int, *, provider) -> HttpResponse:
    return render_manage(
        request,
        "billing/provider/statement.html",
        {"statement": _statement_or_404(provider, year, month)},
    )


@require_GET
@provider_area("earnings")
def statement_csv(request: HttpRequest, year: int, month: int, *, provider) -> HttpResponse:
    """The month's statement as CSV (UTF-8 with a BOM, so spreadsheet apps read Japanese)."""
    statement = _statement_or_404(provider, year, month)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="aizuchi-statement-{year:04d}-{month:02d}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _g("Date"),
            _g("Type"),
            _g("Customer"),
            _g("Charged (¥)"),
            _g("Commission (¥)"),
            _g("To your earnings (¥)"),
            _g("Balance (¥)"),
        ]
    )
    writer.writerow(["", _g("Opening balance"), "", "", "", "", statement.opening_yen])
    for line in statement.lines:
        writer.writerow(
            [
                formats.date_format(timezone.localtime(line.at), "Y-m-d H:i"),
                capfirst(line.label),
                _cell(line.customer),
                "" if line.gross_yen is None else line.gross_yen,
                "" if line.commission_yen is None else line.commission_yen,
                line.amount_yen,
                line.balance_yen,
            ]
        )
    writer.writerow(["", _g("Closing balance"), "", "", "", "", statement.closing_yen])
    return response
