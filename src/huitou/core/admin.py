from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Notification, NumberSequence, OutboxMessage, WorkerHeartbeat
from .outbox import do_outbox_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for information; changing these by hand would break numbering, history or health."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "actor", "action", "field"]
    list_filter = ["content_type", "action"]
    list_select_related = ["actor", "content_type"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "year", "last_value"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_seen"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What the outbox sent, is sending, or gave up on (状态 "发送失败": see 最近错误)."""

    list_display = ["created_at", "kind", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["subject", "message_id", "key"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_failed"]

    @admin.action(description=_("重新发送选中的失败邮件"))
    def retry_failed(self, request, queryset):
        count = do_outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            _("重新排队的邮件：%(count)d 封。") % {"count": count},
            messages.SUCCESS,
        )
