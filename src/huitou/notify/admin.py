from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huitou.core.admin import ReadOnlyAdmin
from huitou.core.errors import DomainError

from .content import check_template, variables_for
from .models import Notification, NotificationOptOut, NotificationTemplate
from .services import delivery_state


class NotificationTemplateForm(forms.ModelForm):
    class Meta:
        model = NotificationTemplate
        fields = ["event", "channel", "subject", "body", "active"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            check_template(
                event=data["event"],
                channel=data["channel"],
                subject=data.get("subject", ""),
                body=data.get("body", ""),
            )
        except DomainError as error:
            raise ValidationError({error.field or "body": error.message}) from None
        return data


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    form = NotificationTemplateForm
    list_display = ["event", "channel", "subject", "active", "updated_at"]
    list_filter = ["event", "channel", "active"]
    list_editable = ["active"]
    readonly_fields = ["variables"]

    @admin.display(description=_("可用变量"))
    def variables(self, obj):
        return "、".join(variables_for(obj.event)) if obj and obj.event else ""


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    list_display = ["customer", "channel", "at"]
    list_filter = ["channel"]
    search_fields = ["customer__name", "customer__number"]
    autocomplete_fields = ["customer"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "event", "channel", "delivery", "attempts"]
    list_filter = ["event", "channel"]
    search_fields = ["ticket__number", "key"]
    list_select_related = ["ticket", "outbox"]

    @admin.display(description=_("发送状态"))
    def delivery(self, obj):
        return Notification.Status(delivery_state(obj)).label
