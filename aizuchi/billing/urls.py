from django.urls import path

from .views import customer, gateway, provider, staff

app_name = "billing"
urlpatterns = [
    path("wallet/", customer.wallet, name="wallet"),
    path("payments/<int:payment_id>/", customer.payment_detail, name="payment"),
    path("payments/<int:payment_id>/cancel/", customer.payment_cancel, name="payment_cancel"),
    path("invoices/", customer.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/", customer.invoice_detail, name="invoice"),
    path("charges/<int:charge_id>/", customer.charge_detail, name="charge"),
    path("receipts/<int:payment_id>/", customer.receipt_detail, name="receipt"),
    # The provider's area
    path("earnings/", provider.earnings, name="earnings"),
    path("earnings/payouts/<int:payout_id>/cancel/", provider.payout_cancel, name="payout_cancel"),
    path("earnings/account/", provider.payout_account_save, name="payout_account"),
    path(
        "earnings/invoices/<int:invoice_id>/received/",
        provider.invoice_cash_received,
        name="invoice_cash_received",
    ),
    path("earnings/<int:year>-<int:month>/", provider.statement, name="statement"),
    path("earnings/<int:year>-<int:month>.csv", provider.statement_csv, name="statement_csv"),
    # Staff
    path("staff/", staff.overview, name="staff"),
    path(
        "staff/payments/<int:payment_id>/confirm/",
        staff.payment_decide,
        {"decision": "confirm"},
        name="staff_payment_confirm",
    ),
    path(
        "staff/payments/<int:payment_id>/refuse/",
        staff.payment_decide,
        {"decision": "refuse"},
        name="staff_payment_refuse",
    ),
    path(
        "staff/payouts/<int:payout_id>/approve/",
        staff.payout_decide,
        {"decision": "approve"},
        name="staff_payout_approve",
    ),
    path(
        "staff/payouts/<int:payout_id>/paid/",
        staff.payout_decide,
        {"decision": "paid"},
        name="staff_payout_paid",
    ),
    path(
        "staff/payouts/<int:payout_id>/reject/",
        staff.payout_decide,
        {"decision": "reject"},
        name="staff_payout_reject",
    ),
    path("staff/charges/<int:charge_id>/refund/", staff.charge_refund, name="staff_refund"),
    path("staff/adjust/", staff.adjust, name="staff_adjust"),
    path("staff/commission/", staff.commission, name="staff_commission"),
    # Gateways
    path("gateways/<slug:code>/callback/", gateway.callback, name="gateway_callback"),
    path("gateways/test/checkout/<str:token>/", gateway.sandbox_checkout, name="sandbox_checkout"),
]
