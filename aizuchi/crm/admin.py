"""Staff reach a card only here, read-only, and every opening is recorded (``StaffView``):
who looked at which card, when. The audit itself is read-only too."""

from django.contrib import admin
from django.utils import timezone

from .models import Card, Note, StaffView


class NoteInline(admin.TabularInline):
    model = Note
    fields = ("created_at", "updated_at", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("id", "relationship", "tier", "personality_type", "style", "updated_at")
    fields = (
        "relationship",
        "personality_model",
        "personality_type",
        "style",
        "tier",
        "mismatch",
        "mismatch_session",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [NoteInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        card = self.get_object(request, object_id)
        if card is not None and response.status_code == 200:
            StaffView.objects.create(staff=request.user, card=card, viewed_at=timezone.now())
        return response


@admin.register(StaffView)
class StaffViewAdmin(admin.ModelAdmin):
    list_display = ("viewed_at", "staff", "card")
    list_filter = ("viewed_at",)
    raw_id_fields = ("staff", "card")
    readonly_fields = ("staff", "card", "viewed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
