from django.contrib import admin

from .models import Category, Provider


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_ja", "name_en", "position"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["display_name", "concept", "accepts_newcomers", "created_at"]
    search_fields = ["display_name", "concept"]
    raw_id_fields = ["user"]
    list_filter = ["categories"]
