"""The default notification templates, in Chinese. A frozen copy: editing them later in the
admin (or changing any module) never changes what this migration adds."""

from django.db import migrations

TEMPLATES = [
    (
        "received",
        "email",
        "您的问题已受理 [{工单号}]",
        "{客户称呼}您好：\n\n"
        "我们已收到您反映的问题“{主题}”，工单号为 {工单号}。客服人员会尽快处理并答复您，"
        "请您耐心等待。\n\n您可以随时在帮助中心查看处理进度：{门户链接}\n\n"
        "如需补充说明，请直接回复本邮件并保留邮件主题中的工单号。",
    ),
    (
        "received",
        "sms",
        "",
        "【回头客服】{客户称呼}您好，您的问题已受理，工单号{工单号}，我们会尽快处理并答复您。",
    ),
    (
        "public_reply",
        "email",
        "客服回复了您的问题 [{工单号}]",
        "{客户称呼}您好：\n\n关于您反映的问题“{主题}”（工单号 {工单号}），客服回复如下：\n\n"
        "{回复内容}\n\n如有疑问，欢迎在帮助中心继续联系我们：{门户链接}",
    ),
    (
        "public_reply",
        "sms",
        "",
        "【回头客服】{客户称呼}您好，您的工单{工单号}有新的客服回复，请到帮助中心查看：{门户链接}",
    ),
    (
        "dispatched",
        "email",
        "您的问题已转交{部门}处理 [{工单号}]",
        "{客户称呼}您好：\n\n您反映的问题“{主题}”（工单号 {工单号}）已转交{部门}专门处理，"
        "我们承诺在{承诺日期}前给您答复。处理过程中如有进展，我们会及时告知您。\n\n"
        "查看处理进度：{门户链接}",
    ),
    (
        "dispatched",
        "sms",
        "",
        "【回头客服】{客户称呼}您好，您的工单{工单号}已转交{部门}处理，我们承诺在{承诺日期}前答复您。",
    ),
    (
        "resolved",
        "email",
        "您的问题已解决 [{工单号}]",
        "{客户称呼}您好：\n\n您反映的问题“{主题}”（工单号 {工单号}）已处理完毕。"
        "感谢您的耐心与支持！\n\n如果问题仍未解决，请直接回复本邮件或在帮助中心联系我们，"
        "我们会重新为您处理：{门户链接}",
    ),
    (
        "resolved",
        "sms",
        "",
        "【回头客服】{客户称呼}您好，您的工单{工单号}已处理完毕。如问题仍未解决，请联系我们，我们会重新处理。",
    ),
    (
        "reopened",
        "email",
        "您的问题已重新处理 [{工单号}]",
        "{客户称呼}您好：\n\n您反映的问题“{主题}”（工单号 {工单号}）已重新进入处理流程，"
        "客服人员会尽快跟进并答复您。\n\n查看处理进度：{门户链接}",
    ),
    (
        "reopened",
        "sms",
        "",
        "【回头客服】{客户称呼}您好，您的工单{工单号}已重新进入处理，我们会尽快跟进答复您。",
    ),
]


def add_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notify", "NotificationTemplate")
    for event, channel, subject, body in TEMPLATES:
        NotificationTemplate.objects.get_or_create(
            event=event, channel=channel, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("notify", "0001_notifications")]

    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
