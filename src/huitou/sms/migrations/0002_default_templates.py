"""The templates the callers send from. Their provider template ids are blank: an admin enters
the ids Aliyun or Tencent Cloud approved for these wordings (短信 → 短信模板)."""

from django.db import migrations

DEFAULTS = [
    (
        "sign_in_code",
        "sign_in",
        "您的登录验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。",
    ),
    (
        "contact_code",
        "verification",
        "您的验证码是 {code}，{minutes} 分钟内有效，用于确认工单 {number} 的联系方式。"
        "如非本人操作，请忽略。",
    ),
    ("notify_received", "notification", "您的工单 {number} 已受理，我们会尽快处理。"),
    (
        "notify_public_reply",
        "notification",
        "您的工单 {number} 有新的客服回复，请登录客户中心查看。",
    ),
    ("notify_dispatched", "notification", "您的工单 {number} 已转交相关部门处理。"),
    ("notify_resolved", "notification", "您的工单 {number} 已解决。如仍有问题，请联系我们。"),
    ("notify_reopened", "notification", "您的工单 {number} 已重新处理，我们会尽快跟进。"),
]


def create(apps, schema_editor):
    SmsTemplate = apps.get_model("sms", "SmsTemplate")
    for code, purpose, text in DEFAULTS:
        SmsTemplate.objects.get_or_create(code=code, defaults={"purpose": purpose, "text": text})


def remove(apps, schema_editor):
    SmsTemplate = apps.get_model("sms", "SmsTemplate")
    SmsTemplate.objects.filter(code__in=[code for code, *_ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("sms", "0001_sms")]

    operations = [migrations.RunPython(create, remove)]
