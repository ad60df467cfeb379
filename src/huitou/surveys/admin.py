from django.contrib import admin

from huitou.core.admin import ReadOnlyAdmin

from .models import FollowUp, Invitation, SatisfactionRule, SatisfactionSettings


@admin.register(SatisfactionRule)
class SatisfactionRuleAdmin(admin.ModelAdmin):
    list_display = (
        "channel",
        "tier",
        "enabled",
        "delay_minutes",
        "sample_percent",
        "cooldown_days",
    )
    list_filter = ("enabled", "channel", "tier")


@admin.register(SatisfactionSettings)
class SatisfactionSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "low_at_most", "link_days", "change_days")

    def has_add_permission(self, request) -> bool:
        return not SatisfactionSettings.objects.exists()


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "ticket", "customer", "state", "channel", "due_at", "sent_at")
    list_filter = ("kind", "state", "channel")


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ("response", "state", "created_at", "done_at", "done_by")
    list_filter = ("state",)
