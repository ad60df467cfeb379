from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "description", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind", "description"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "department", "is_active", "is_staff"]
    list_filter = ["department", "groups", "is_active", "is_service_account"]
    list_select_related = ["department"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("组织"), {"fields": ["department", "is_service_account"]}),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["key_prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]

    def has_add_permission(self, request):
        return False  # tokens are created with `huitou token create`, which shows the secret once
