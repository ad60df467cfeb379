"""The shipped scorecards and phrase lists: SPEC §5's rubric and §2's phone etiquette."""

from django.db import transaction

from .models import Check, QualitySettings, Scorecard, ScorecardItem

GREETING_PHRASES = ["您好", "你好", "很高兴为您服务", "欢迎", "早上好", "下午好", "晚上好"]
CLOSING_PHRASES = ["感谢", "谢谢", "再见", "祝您", "欢迎再次", "还有其他"]
REPEAT_BACK_PHRASES = [
    "跟您确认",
    "和您确认",
    "向您确认",
    "我复述",
    "复述一下",
    "您是说",
    "您的意思是",
    "确认一下",
    "核对一下",
]
HOLD_PHRASES = ["请稍等", "请稍候", "稍等一下", "请您稍等", "转接", "转给", "帮您转", "转到"]
REASON_PHRASES = ["因为", "需要", "为了", "帮您查询", "帮您核实", "查一下", "由于", "负责"]
PROMISE_PHRASES = ["回复您", "答复您", "给您回电", "回电给您", "联系您", "给您答复", "通知您"]

# (key, label, description, weight, critical, check)
GENERAL = [
    ("greeting", "问候", "首次回复使用标准问候语", 10, False, Check.GREETING),
    ("listening", "倾听与理解", "让客户说完，抓住要点，不打断", 15, False, Check.NONE),
    ("forbidden", "服务忌语", "不使用服务忌语（致命项）", 15, True, Check.FORBIDDEN),
    ("accuracy", "答复准确", "信息、政策和解决办法正确（致命项）", 25, True, Check.NONE),
    ("closing", "结束语", "结束时致谢、询问是否还有其他问题", 10, False, Check.CLOSING),
    ("first_response", "首次响应及时", "在 SLA 时限内首次响应", 10, False, Check.FIRST_RESPONSE),
    ("reply_time", "回复及时", "客户每次来信都在时限内回复", 10, False, Check.REPLY_TIME),
    ("resolution", "一次解决", "客户未在短期内因同一问题再次联系", 5, False, Check.REPEAT_CONTACT),
]
PHONE = [
    ("greeting", "标准问候", "三声内接听，使用标准问候语", 10, False, Check.GREETING),
    ("repeat_back", "复述确认", "复述客户的要点并确认", 15, False, Check.REPEAT_BACK),
    (
        "hold_reason",
        "等待或转接前说明",
        "等待前说明原因、征得同意并给出时限；转接前说明原因并告知接听人",
        15,
        False,
        Check.HOLD_REASON,
    ),
    (
        "definite_time",
        "明确答复时间",
        "不能当场答复时说明原因、留下联系方式并给出明确的答复时间",
        15,
        False,
        Check.DEFINITE_TIME,
    ),
    ("forbidden", "服务忌语", "不使用服务忌语（致命项）", 15, True, Check.FORBIDDEN),
    ("accuracy", "答复准确", "信息、政策和解决办法正确（致命项）", 20, True, Check.NONE),
    ("thanks", "致谢道别", "以致谢结束，让客户先挂机", 10, False, Check.CLOSING),
]
BUILTIN = {
    "general": (
        "会话质检（通用）",
        "SPEC §5 的质检评分表：问候、倾听、忌语、准确、结束语、时效。",
        [],
        GENERAL,
    ),
    "phone": (
        "电话礼仪",
        "SPEC §2 的电话礼仪标准：复述确认、等待或转接前说明、明确答复时间、致谢。",
        ["phone"],
        PHONE,
    ),
}


def _settings_row(model):
    row = model.objects.order_by("pk").first()
    if row is None:
        row = model.objects.create(
            greeting_phrases=GREETING_PHRASES,
            closing_phrases=CLOSING_PHRASES,
            repeat_back_phrases=REPEAT_BACK_PHRASES,
            hold_phrases=HOLD_PHRASES,
            reason_phrases=REASON_PHRASES,
            promise_phrases=PROMISE_PHRASES,
        )
    return row


def quality_settings() -> QualitySettings:
    """The one settings row, made with the shipped phrase lists on first use."""
    return _settings_row(QualitySettings)


def ensure_defaults_with(scorecard_model, item_model, settings_model) -> list:
    """The work of ensure_quality_defaults on the given models (the data migration passes
    its historical ones)."""
    _settings_row(settings_model)
    cards = []
    for code, (name, description, channels, items) in BUILTIN.items():
        card = scorecard_model.objects.filter(builtin=code).first()
        if card is None:
            card = scorecard_model.objects.create(
                builtin=code, name=name, description=description, channels=channels
            )
            item_model.objects.bulk_create(
                item_model(
                    scorecard=card,
                    key=key,
                    label=label,
                    description=text,
                    weight=weight,
                    critical=critical,
                    auto_check=str(check),
                    position=position,
                )
                for position, (key, label, text, weight, critical, check) in enumerate(items)
            )
        cards.append(card)
    return cards


@transaction.atomic
def ensure_quality_defaults() -> list[Scorecard]:
    """Create the shipped scorecards and settings if missing; safe to run repeatedly (an
    existing scorecard, perhaps edited by an admin, is left as it is)."""
    return ensure_defaults_with(Scorecard, ScorecardItem, QualitySettings)
