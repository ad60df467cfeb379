"""Ship the default scorecards (SPEC §5 rubric, §2 phone etiquette) and phrase lists.

The data is copied here as it was when the migration was written (huitou.quality.defaults
holds the live copy, which ensure_quality_defaults also applies on first use)."""

from django.db import migrations

SETTINGS = {
    "greeting_phrases": ["您好", "你好", "很高兴为您服务", "欢迎", "早上好", "下午好", "晚上好"],
    "closing_phrases": ["感谢", "谢谢", "再见", "祝您", "欢迎再次", "还有其他"],
    "repeat_back_phrases": [
        "跟您确认",
        "和您确认",
        "向您确认",
        "我复述",
        "复述一下",
        "您是说",
        "您的意思是",
        "确认一下",
        "核对一下",
    ],
    "hold_phrases": ["请稍等", "请稍候", "稍等一下", "请您稍等", "转接", "转给", "帮您转", "转到"],
    "reason_phrases": ["因为", "需要", "为了", "帮您查询", "帮您核实", "查一下", "由于", "负责"],
    "promise_phrases": ["回复您", "答复您", "给您回电", "回电给您", "联系您", "给您答复", "通知您"],
}

# code → name, description, channels, items (key, label, standard, weight, critical, check)
SCORECARDS = {
    "general": {
        "name": "会话质检（通用）",
        "description": "SPEC §5 的质检评分表：问候、倾听、忌语、准确、结束语、时效。",
        "channels": [],
        "items": [
            ("greeting", "问候", "首次回复使用标准问候语", 10, False, "greeting"),
            ("listening", "倾听与理解", "让客户说完，抓住要点，不打断", 15, False, ""),
            ("forbidden", "服务忌语", "不使用服务忌语（致命项）", 15, True, "forbidden"),
            ("accuracy", "答复准确", "信息、政策和解决办法正确（致命项）", 25, True, ""),
            ("closing", "结束语", "结束时致谢、询问是否还有其他问题", 10, False, "closing"),
            (
                "first_response",
                "首次响应及时",
                "在 SLA 时限内首次响应",
                10,
                False,
                "first_response",
            ),
            ("reply_time", "回复及时", "客户每次来信都在时限内回复", 10, False, "reply_time"),
            (
                "resolution",
                "一次解决",
                "客户未在短期内因同一问题再次联系",
                5,
                False,
                "repeat_contact",
            ),
        ],
    },
    "phone": {
        "name": "电话礼仪",
        "description": "SPEC §2 的电话礼仪标准：复述确认、等待或转接前说明、明确答复时间、致谢。",
        "channels": ["phone"],
        "items": [
            ("greeting", "标准问候", "三声内接听，使用标准问候语", 10, False, "greeting"),
            ("repeat_back", "复述确认", "复述客户的要点并确认", 15, False, "repeat_back"),
            (
                "hold_reason",
                "等待或转接前说明",
                "等待前说明原因、征得同意并给出时限；转接前说明原因并告知接听人",
                15,
                False,
                "hold_reason",
            ),
            (
                "definite_time",
                "明确答复时间",
                "不能当场答复时说明原因、留下联系方式并给出明确的答复时间",
                15,
                False,
                "definite_time",
            ),
            ("forbidden", "服务忌语", "不使用服务忌语（致命项）", 15, True, "forbidden"),
            ("accuracy", "答复准确", "信息、政策和解决办法正确（致命项）", 20, True, ""),
            ("thanks", "致谢道别", "以致谢结束，让客户先挂机", 10, False, "closing"),
        ],
    },
}


def forwards(apps, schema_editor):
    settings_model = apps.get_model("quality", "QualitySettings")
    scorecard_model = apps.get_model("quality", "Scorecard")
    item_model = apps.get_model("quality", "ScorecardItem")
    if not settings_model.objects.exists():
        settings_model.objects.create(**SETTINGS)
    for code, card in SCORECARDS.items():
        if scorecard_model.objects.filter(builtin=code).exists():
            continue
        made = scorecard_model.objects.create(
            builtin=code,
            name=card["name"],
            description=card["description"],
            channels=card["channels"],
        )
        item_model.objects.bulk_create(
            item_model(
                scorecard=made,
                key=key,
                label=label,
                description=text,
                weight=weight,
                critical=critical,
                auto_check=check,
                position=position,
            )
            for position, (key, label, text, weight, critical, check) in enumerate(card["items"])
        )


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
