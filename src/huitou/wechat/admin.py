"""WeChat's records for administrators: tokens (never shown), the 微信客服 cursors, and
every message sent through WeChat with its state (a failed one can be sent again)."""

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import WechatAccessToken, WechatOutbound, WecomKfCursor
from .outbound import do_outbound_retry


@admin.register(WechatAccessToken)
class WechatAccessTokenAdmin(admin.ModelAdmin):
    list_display = ["key", "expires_at", "updated_at"]
    # The token itself stays out of the admin: it is a credential.
    fields = ["key", "expires_at", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WecomKfCursor)
class WecomKfCursorAdmin(admin.ModelAdmin):
    list_display = ["corp_id", "open_kfid", "cursor", "updated_at"]
    readonly_fields = ["corp_id", "open_kfid", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WechatOutbound)
class WechatOutboundAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "via",
        "touser",
        "ticket",
        "status",
        "reason",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "reason", "via"]
    search_fields = ["touser", "body", "key"]
    raw_id_fields = ["ticket", "message"]
    readonly_fields = [
        "key",
        "ticket",
        "message",
        "via",
        "account",
        "touser",
        "body",
        "status",
        "reason",
        "last_error",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "created_at",
        "sent_at",
    ]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("重新发送所选的失败消息"))
    def send_again(self, request, queryset):
        with transaction.atomic():
            count = do_outbound_retry(outbound_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("已重新排队 %(count)d 条消息。") % {"count": count})
