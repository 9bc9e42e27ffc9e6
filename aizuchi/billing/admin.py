"""Staff see the ledger in the admin, read-only: money moves only through the services."""

from django.contrib import admin

from .models import (
    Account,
    Charge,
    CommissionRate,
    Entry,
    Hold,
    Invoice,
    InvoiceReminder,
    Payment,
    PayoutRequest,
    Posting,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "amount_yen", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "user", "provider", "gateway", "balance_yen", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "provider__display_name", "gateway"]
    list_select_related = ["user", "provider"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "created_at", "created_by", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "created_at"
    inlines = [PostingInline]
    list_select_related = ["created_by"]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ["id", "entry", "account", "amount_yen", "created_at"]
    list_select_related = ["entry", "account"]
    raw_id_fields = ["entry", "account"]


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "customer",
        "provider",
        "payment",
        "amount_yen",
        "refunded_yen",
        "created_at",
    ]
    list_filter = ["payment"]
    list_select_related = ["customer", "provider"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "provider", "amount_yen", "paid_yen", "status", "due_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "provider"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "purpose", "amount_yen", "gateway", "status", "created_at"]
    list_filter = ["status", "gateway", "purpose"]
    list_select_related = ["customer"]
    exclude = ["token"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "amount_yen", "captured_yen", "released_yen", "status"]
    list_filter = ["status"]


@admin.register(PayoutRequest)
class PayoutRequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "provider", "amount_yen", "status", "requested_at", "paid_at"]
    list_filter = ["status"]


@admin.register(CommissionRate)
class CommissionRateAdmin(ReadOnlyAdmin):
    list_display = ["provider", "rate_bp", "set_by", "set_at"]


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "kind", "sent_at"]
