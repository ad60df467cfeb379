from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from huitou.core.admin import ReadOnlyAdmin

from .errors import mask_number
from .models import SmsSend, SmsTemplate


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "purpose", "text", "aliyun_template_code", "tencent_template_id"]
    list_filter = ["purpose"]
    search_fields = ["code", "text"]


@admin.register(SmsSend)
class SmsSendAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "masked_to", "purpose", "template_code", "status", "provider"]
    list_filter = ["status", "purpose", "provider"]
    search_fields = ["to", "provider_id"]
    readonly_fields = [field.name for field in SmsSend._meta.fields]

    @admin.display(description=_("手机号"))
    def masked_to(self, row: SmsSend) -> str:
        return mask_number(row.to)
