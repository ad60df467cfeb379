from django.contrib import admin

from .models import AuditEntry, NumberSequence, WorkerHeartbeat


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "content_type", "object_id", "actor", "action", "field"]
    list_filter = ["content_type", "action"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(NumberSequence)
admin.site.register(WorkerHeartbeat)
