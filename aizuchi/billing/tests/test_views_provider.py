"""The provider's money pages through the test client: earnings, payouts, cash received
for postpaid invoices, monthly statements and their CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import selectors
from aizuchi.billing.models import Invoice, Payment, PayoutRequest
from aizuchi.billing.services import payouts
from aizuchi.core.forms import KEY_INVALID
from aizuchi.storefront.models import Offering

from .factories import (
    OfferingFactory,
    earnings_yen,
    give_earnings,
    key,
    payout_pending_yen,
    postpaid_invoice,
    prepaid_charge,
)

pytestmark = pytest.mark.django_db

EARNINGS = reverse("billing:earnings")


@pytest.fixture
def offering():
    offering = OfferingFactory()
    offering.provider.user.language = "en"
    offering.provider.user.save(update_fields=["language"])
    return offering


@pytest.fixture
def provider(offering):
    return offering.provider


@pytest.fixture
def owner(client, provider):
    client.force_login(provider.user)
    return client


def _field_error(html: str) -> str:
    return " ".join(re.findall(r'class="field-error" role="alert">([^<]*)<', html))


def _form_errors(html: str) -> str:
    return " ".join(re.findall(r'class="form-errors" role="alert">([^<]*)<', html))


def _request_payout(client, amount, **fields):
    return client.post(EARNINGS, {"amount_yen": amount, "idempotency_key": key(), **fields})


def _record_cash(client, invoice, amount, **fields):
    return client.post(
        reverse("billing:invoice_cash_received", args=[invoice.pk]),
        {"amount_yen": amount, "note": "", "idempotency_key": key(), **fields},
    )


def _this_month(provider):
    month = selectors.statement_months(provider=provider)[0]
    return month.year, month.month


# --- pages, languages, login ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_renders_for_the_provider(client, offering, language):
    provider = offering.provider
    provider.user.language = language
    provider.user.save()
    prepaid_charge(UserFactory(), offering)
    postpaid = OfferingFactory(
        provider=provider, channel="voice", payment=Offering.Payment.POSTPAID
    )
    postpaid_invoice(UserFactory(), postpaid)
    give_earnings(provider, 5000)
    payouts.payout_request(provider=provider, user=provider.user, amount_yen=1000, key=key())
    client.force_login(provider.user)
    year, month = _this_month(provider)
    for url in (
        EARNINGS,
        reverse("billing:statement", args=[year, month]),
        reverse("billing:statement", args=[2001, 1]),  # long before: an empty month
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}"' in html
        assert ("ログアウト" in html) == (language == "ja")
        assert 'href="/billing/earnings/" aria-current="page"' in html  # the area's navigation
    csv_response = client.get(reverse("billing:statement_csv", args=[year, month]))
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"


def test_anonymous_visitors_are_sent_to_log_in(client, provider):
    year, month = _this_month(provider)
    for url in (
        EARNINGS,
        reverse("billing:statement", args=[year, month]),
        reverse("billing:statement_csv", args=[year, month]),
    ):
        response = client.get(url)
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    give_earnings(provider, 5000)
    response = _request_payout(client, "3000")
    assert response["Location"].startswith(reverse("account_login"))
    assert not PayoutRequest.objects.exists()


def test_a_customer_without_a_storefront_is_offered_to_open_one(client):
    client.force_login(UserFactory())
    for url in (EARNINGS, reverse("billing:statement", args=[2026, 1])):
        assert client.get(url)["Location"] == reverse("storefront:open")
    assert client.post(EARNINGS, {"amount_yen": "1000"})["Location"] == reverse("storefront:open")
    assert not PayoutRequest.objects.exists()


def test_the_earnings_page_shows_only_the_providers_own_figures(owner, offering, provider):
    mine = UserFactory(display_name="わたしのお客")
    prepaid_charge(mine, offering, minutes=10)  # ¥1,000: ¥800 to the provider
    postpaid = OfferingFactory(provider=provider, channel="voice", payment="postpaid")
    invoice = postpaid_invoice(mine, postpaid, minutes=25)  # ¥2,500 owed
    other = OfferingFactory()
    stranger = UserFactory(display_name="よその常連")
    prepaid_charge(stranger, other, minutes=77)
    postpaid_invoice(
        stranger,
        OfferingFactory(provider=other.provider, channel="voice", payment="postpaid"),
        minutes=44,
    )
    give_earnings(other.provider, 123_456)

    html = owner.get(EARNINGS).content.decode()
    assert "<strong data-earnings>¥2,800</strong>" in html  # ¥800 + ¥2,000 of the invoice
    assert "<strong>¥2,500</strong>" in html  # owed by customers
    assert "<strong>20%</strong>" in html
    assert "わたしのお客" in html
    assert invoice.number in html
    assert "よその常連" not in html
    for figure in ("¥7,700", "¥6,160", "¥4,400", "123,456", "¥123"):
        assert figure not in html


# --- payouts ------------------------------------------------------------------------------------


def test_the_provider_requests_a_payout_and_withdraws_it(owner, provider):
    give_earnings(provider, 10_000)
    response = _request_payout(owner, "8000")
    assert response["Location"] == EARNINGS
    payout = PayoutRequest.objects.get()
    assert (payout.provider, payout.amount_yen, payout.status) == (provider, 8000, "requested")
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (2000, 8000)
    html = owner.get(EARNINGS).content.decode()
    assert "Your payout request for ¥8,000 is sent. Staff will review it." in html
    assert "<strong data-earnings>¥2,000</strong>" in html
    cancel = reverse("billing:payout_cancel", args=[payout.pk])
    assert f'action="{cancel}"' in html

    response = owner.post(cancel, follow=True)
    assert "Your payout request was withdrawn" in response.content.decode()
    payout.refresh_from_db()
    assert payout.status == "cancelled"
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (10_000, 0)
    again = owner.post(cancel, follow=True)  # withdrawing twice: a message, no money moves
    assert "This payout request is cancelled and cannot change that way." in again.content.decode()
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (10_000, 0)


def test_a_double_submitted_payout_request_is_one_request(owner, provider):
    give_earnings(provider, 10_000)
    fields = {"amount_yen": "6000", "idempotency_key": key()}
    assert owner.post(EARNINGS, fields)["Location"] == EARNINGS
    assert owner.post(EARNINGS, fields)["Location"] == EARNINGS
    assert PayoutRequest.objects.count() == 1
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (4000, 6000)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("10001", "Enter a whole number of yen from ¥1,000 to ¥10,000."),
        ("999", "Enter a whole number of yen from ¥1,000 to ¥10,000."),
        ("abc", "Enter a whole number of yen from ¥1,000 to ¥10,000."),
        ("5000.5", "Enter a whole number of yen from ¥1,000 to ¥10,000."),
        ("", "This field is required."),
    ],
)
def test_a_payout_above_the_earnings_or_not_a_number_is_a_field_error(
    owner, provider, amount, message
):
    give_earnings(provider, 10_000)
    response = _request_payout(owner, amount)
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == message
    assert not PayoutRequest.objects.exists()
    assert (earnings_yen(provider), payout_pending_yen(provider)) == (10_000, 0)


def test_a_payout_with_too_little_earnings_is_explained(owner, provider):
    give_earnings(provider, 700)
    response = _request_payout(owner, "700")
    assert response.status_code == 400
    assert _field_error(response.content.decode()) == (
        "You have ¥700 to pay out; the smallest payout is ¥1,000."
    )
    assert not PayoutRequest.objects.exists()


def test_a_payout_with_a_tampered_key_is_refused(owner, provider):
    give_earnings(provider, 10_000)
    response = _request_payout(owner, "5000", idempotency_key="../../etc")
    assert response.status_code == 400
    assert _form_errors(response.content.decode()) == str(KEY_INVALID)
    assert not PayoutRequest.objects.exists()


def test_a_provider_cannot_withdraw_another_providers_payout(owner, provider):
    other = OfferingFactory().provider
    give_earnings(other, 10_000)
    payout = payouts.payout_request(provider=other, user=other.user, amount_yen=5000, key=key())
    response = owner.post(reverse("billing:payout_cancel", args=[payout.pk]))
    assert response.status_code == 404
    payout.refresh_from_db()
    assert payout.status == "requested"
    assert (earnings_yen(other), payout_pending_yen(other)) == (5000, 5000)
    assert str(payout.amount_yen) not in owner.get(EARNINGS).content.decode()


def test_a_paid_payout_shows_as_paid(owner, provider):
    from .factories import staff_user

    give_earnings(provider, 10_000)
    payout = payouts.payout_request(
        provider=provider, user=provider.user, amount_yen=4000, key=key()
    )
    staff = staff_user()
    payouts.payout_approve(user=staff, payout_id=payout.pk)
    payouts.payout_mark_paid(user=staff, payout_id=payout.pk, reference="振込")
    html = owner.get(EARNINGS).content.decode()
    assert '<span class="status status-paid">paid</span>' in html
    assert "Withdraw" not in html


# --- cash received for postpaid invoices ---------------------------------------------------------


@pytest.fixture
def invoice(provider):
    postpaid = OfferingFactory(provider=provider, channel="voice", payment="postpaid")
    return postpaid_invoice(UserFactory(display_name="現金のお客"), postpaid)  # ¥3,000


def test_the_provider_records_cash_for_their_invoice(owner, provider, invoice):
    response = _record_cash(owner, invoice, "1000", note="手渡し")
    assert response["Location"] == EARNINGS
    assert "¥1,000 from 現金のお客 is recorded." in owner.get(EARNINGS).content.decode()
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.amount_yen, payment.status, payment.note, payment.settled_by) == (
        1000,
        "succeeded",
        "手渡し",
        provider.user,
    )
    _record_cash(owner, invoice, "2000")
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (3000, "paid")
    assert invoice.number not in owner.get(EARNINGS).content.decode()  # no longer unpaid


def test_a_double_submitted_cash_record_counts_once(owner, invoice):
    fields = {"amount_yen": "1000", "note": "", "idempotency_key": key()}
    url = reverse("billing:invoice_cash_received", args=[invoice.pk])
    assert owner.post(url, fields)["Location"] == EARNINGS
    assert owner.post(url, fields)["Location"] == EARNINGS
    invoice.refresh_from_db()
    assert invoice.paid_yen == 1000
    assert Payment.objects.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("amount", ["3001", "0", "abc", ""])
def test_recording_more_cash_than_owed_is_a_field_error(owner, invoice, amount):
    response = _record_cash(owner, invoice, amount)
    assert response.status_code == 400
    assert _field_error(response.content.decode()) in (
        "Enter a whole number of yen from ¥1 to ¥3,000.",
        "This field is required.",
    )
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (0, "open")
    assert not Payment.objects.exists()


def test_a_refused_cash_record_is_shown_on_its_invoice_card(owner, provider, invoice):
    second = postpaid_invoice(
        UserFactory(), OfferingFactory(provider=provider, channel="video", payment="postpaid")
    )
    response = _record_cash(owner, invoice, "4000", note="振込")
    assert response.status_code == 400
    html = response.content.decode()
    card = html.split(invoice.number)[1].split('class="invoice-card"')[0]
    assert "<details open>" in card
    assert f'id="id_cash{invoice.pk}_amount_yen"' in card
    assert 'value="4000"' in card  # what was typed is kept
    assert "Enter a whole number of yen from ¥1 to ¥3,000." in card
    other_card = html.split(second.number)[1].split('class="invoice-card"')[0]
    assert "<details>" in other_card
    assert "field-error" not in other_card
    assert not Payment.objects.exists()


def test_a_cash_record_with_a_tampered_key_is_refused(owner, invoice):
    response = _record_cash(owner, invoice, "1000", idempotency_key="not a key")
    assert response.status_code == 400
    assert _form_errors(response.content.decode()) == str(KEY_INVALID)
    assert not Payment.objects.exists()


def test_a_cash_record_for_an_invoice_paid_meanwhile_says_so(owner, invoice):
    _record_cash(owner, invoice, "3000")
    response = _record_cash(owner, invoice, "1000")
    assert response.status_code == 400
    assert "Nothing is left to pay on this invoice." in response.content.decode()
    assert Payment.objects.count() == 1


def test_a_provider_cannot_record_cash_for_another_providers_invoice(owner, provider):
    others = postpaid_invoice(UserFactory())
    response = _record_cash(owner, others, "3000")
    assert response.status_code == 404
    others.refresh_from_db()
    assert (others.paid_yen, others.status) == (0, "open")
    assert not Payment.objects.exists()


def test_a_customer_cannot_record_cash_for_their_own_invoice(client):
    customer = UserFactory()
    invoice = postpaid_invoice(customer)
    client.force_login(customer)
    response = _record_cash(client, invoice, "3000")
    assert response["Location"] == reverse("storefront:open")
    assert Invoice.objects.get().status == "open"


# --- statements ----------------------------------------------------------------------------------


def _statement_setup(offering, provider):
    sly = UserFactory(display_name='=HYPERLINK("https://evil.example","x")')
    plain = UserFactory(display_name="はなこ")
    prepaid_charge(sly, offering, minutes=10)  # ¥1,000 → ¥200 / ¥800
    prepaid_charge(plain, offering, minutes=5)  # ¥500 → ¥100 / ¥400
    payouts.payout_request(provider=provider, user=provider.user, amount_yen=1000, key=key())


def test_the_statement_page_lists_the_months_movements(owner, offering, provider):
    _statement_setup(offering, provider)
    year, month = _this_month(provider)
    html = owner.get(reverse("billing:statement", args=[year, month])).content.decode()
    assert "Opening balance</dt><dd>¥0</dd>" in html
    assert "Sessions charged</dt><dd>¥1,500</dd>" in html
    assert "Platform commission</dt><dd>¥300</dd>" in html
    assert "Your share of sessions</dt><dd>+¥1,200</dd>" in html
    assert "Payouts</dt><dd>−¥1,000</dd>" in html
    assert "Closing balance</dt><dd><strong>¥200</strong></dd>" in html
    assert "=HYPERLINK(&quot;https://evil.example&quot;,&quot;x&quot;)" in html
    assert html.count("<tr>") == 1 + 3  # the head and three lines


def test_the_statement_csv_has_a_bom_a_header_and_the_lines(owner, offering, provider):
    _statement_setup(offering, provider)
    year, month = _this_month(provider)
    response = owner.get(reverse("billing:statement_csv", args=[year, month]))
    assert response["Content-Disposition"] == (
        f'attachment; filename="aizuchi-statement-{year:04d}-{month:02d}.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffDate,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == [
        "Date",
        "Type",
        "Customer",
        "Charged (¥)",
        "Commission (¥)",
        "To your earnings (¥)",
        "Balance (¥)",
    ]
    assert rows[1] == ["", "Opening balance", "", "", "", "", "0"]
    assert [row[1:] for row in rows[2:5]] == [
        ["Session charge", '\'=HYPERLINK("https://evil.example","x")', "1000", "200", "800", "800"],
        ["Session charge", "はなこ", "500", "100", "400", "1200"],
        ["Payout requested", "", "", "", "-1000", "200"],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[0]) for row in rows[2:5])
    assert rows[5] == ["", "Closing balance", "", "", "", "", "200"]
    assert len(rows) == 6


@pytest.mark.parametrize("name", ["+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_formula_prefix_is_neutralised_in_the_csv(owner, offering, provider, name):
    prepaid_charge(UserFactory(display_name=name), offering)
    year, month = _this_month(provider)
    text = owner.get(reverse("billing:statement_csv", args=[year, month])).content.decode()
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[2][2] == "'" + name


def test_the_statement_is_the_providers_own(client, offering, provider):
    _statement_setup(offering, provider)
    other = OfferingFactory().provider
    other.user.language = "en"
    other.user.save()
    client.force_login(other.user)
    year, month = _this_month(provider)
    html = client.get(reverse("billing:statement", args=[year, month])).content.decode()
    assert "Nothing moved this month." in html
    assert "はなこ" not in html
    text = client.get(reverse("billing:statement_csv", args=[year, month])).content.decode()
    assert "はなこ" not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 3  # header, opening, closing


@pytest.mark.parametrize("period", [(2026, 13), (2026, 0), (1999, 12), (2101, 1)])
def test_a_month_that_is_not_one_is_404(owner, period):
    assert owner.get(reverse("billing:statement", args=period)).status_code == 404
    assert owner.get(reverse("billing:statement_csv", args=period)).status_code == 404


def test_the_statement_list_starts_with_the_month_the_provider_joined(offering):
    from datetime import UTC, date, datetime

    provider = offering.provider
    provider.created_at = datetime(2026, 9, 20, 3, 0, tzinfo=UTC)
    now = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    months = selectors.statement_months(provider=provider, now=now)
    assert months == [date(2026, 12, 1), date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)]
    provider.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    assert len(selectors.statement_months(provider=provider, now=now)) == 12


def test_a_provider_registers_a_payout_account_and_staff_see_it_on_the_request(
    owner, provider, client
):
    from aizuchi.billing.models import PayoutAccount
    from aizuchi.billing.services import payouts

    account_url = reverse("billing:payout_account")
    page = owner.get(EARNINGS).content.decode()
    assert "Register the bank account your payouts go to" in page
    bad = owner.post(
        account_url,
        {
            "bank_name": "",
            "branch_name": "本店",
            "kind": "savings",
            "number": "12-34",
            "holder": "Yamada",
        },
    )
    assert bad.status_code == 400
    errors = _field_error(bad.content.decode())
    assert "Enter this." in errors
    assert "Enter the 7-digit account number." in errors
    assert "katakana" in errors
    assert "Choose ordinary or current." in errors
    assert not PayoutAccount.objects.exists()

    good = owner.post(
        account_url,
        {
            "bank_name": "あいづち銀行",
            "branch_name": "本店営業部",
            "kind": "ordinary",
            "number": "１２３４５６７",  # full-width digits, as a phone keyboard may type them
            "holder": "ヤマダ ハナコ",
        },
    )
    assert good["Location"] == EARNINGS
    account = PayoutAccount.objects.get(provider=provider)
    assert (account.number, account.holder) == ("1234567", "ヤマダ ハナコ")
    assert "data-account-summary" in owner.get(EARNINGS).content.decode()

    give_earnings(provider, 5000)
    payouts.payout_request(provider=provider, user=provider.user, amount_yen=3000, key="a" * 20)
    staff = UserFactory(is_staff=True, language="en")
    client.force_login(staff)
    response = client.get(reverse("billing:staff"))
    assert response.status_code == 200
    overview = response.content.decode()
    assert "あいづち銀行 本店営業部" in overview
    assert "1234567 · ヤマダ ハナコ" in overview
