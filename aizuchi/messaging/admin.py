from django.contrib import admin

from .models import MessageReport, Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    """Threads by their pair and counts only: staff read reported messages on the
    moderation page, not conversations."""

    list_display = ("id", "provider", "customer", "last_message_at", "provider_unread")
    raw_id_fields = ("provider", "customer")
    fields = ("provider", "customer", "created_at", "last_message_at")
    readonly_fields = fields


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    list_display = ("id", "message_id", "reporter", "status", "decision", "created_at")
    list_filter = ("status", "decision")
    raw_id_fields = ("message", "reporter", "decided_by")
