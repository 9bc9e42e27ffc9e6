from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User
from .time_zones import time_zone_choices


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "language", "time_zone", "is_staff", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "time_zone", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined", "terms_accepted_at"]}),
    ]
    # The consent is the person's own act at sign-up; staff can see it, not change it.
    readonly_fields = ["terms_accepted_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The same zone list as the profile page, not a free-text box.
        if db_field.name == "time_zone":
            return forms.ChoiceField(
                label=db_field.verbose_name, choices=time_zone_choices, required=True
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # A nickname from the start, so the account is nobody's 「ゲスト」.
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]},
        )
    ]
