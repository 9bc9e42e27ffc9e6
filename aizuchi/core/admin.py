from django.contrib import admin

from .models import Operation


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """Idempotent operations are a record: nobody edits or deletes them by hand."""

    list_display = ["key", "name", "result_model", "result_id", "created_at"]
    search_fields = ["key"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
