from django.contrib import admin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "kind", "phone", "tier", "stage", "created_at"]
    list_filter = ["tier", "stage", "kind", "is_internal"]
    search_fields = ["number", "name", "phone", "email"]
    readonly_fields = ["number", "created_at", "updated_at"]
