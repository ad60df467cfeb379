"""Personality types and listening styles with the service guidance of SPEC §1 [000, 003]."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Personality(models.TextChoices):
    UNKNOWN = "", _("未判断")
    LIVELY = "lively", _("活泼型")
    POWERFUL = "powerful", _("力量型")
    PEACEFUL = "peaceful", _("和平型")
    ANALYTICAL = "analytical", _("分析型")


class ListeningStyle(models.TextChoices):
    UNKNOWN = "", _("未判断")
    WANDERING = "wandering", _("漫听型")
    SHALLOW = "shallow", _("浅听型")
    TECHNICAL = "technical", _("技术型")
    ACTIVE = "active", _("积极型")


PERSONALITY_TRAITS = {
    Personality.LIVELY: _("外向、重人际"),
    Personality.POWERFUL: _("外向、重任务"),
    Personality.PEACEFUL: _("内向、重人际"),
    Personality.ANALYTICAL: _("内向、重任务"),
}

# The DISC-style buying types of seed 003 and the personality each maps onto.
DISC_TYPES = {
    Personality.POWERFUL: _("要求型"),
    Personality.LIVELY: _("影响型"),
    Personality.PEACEFUL: _("稳定型"),
    Personality.ANALYTICAL: _("恭顺型"),
}

PERSONALITY_GUIDANCE = {
    Personality.LIVELY: [
        _("多倾听，真诚地赞美"),
        _("适当幽默，建立融洽关系"),
        _("谈目标和知名客户案例"),
        _("给予身份感和认可"),
        _("保持经常联系"),
    ],
    Personality.POWERFUL: [
        _("尊重其权威"),
        _("直接、简洁、专业"),
        _("用数据和事实说话"),
        _("提供几个方案供其选择"),
        _("聚焦结果"),
        _("切勿正面冲突"),
    ],
    Personality.PEACEFUL: [
        _("给予个人关怀，寻找共同点"),
        _("语气轻松友好"),
        _("耐心引导其走向目标，容忍其慢节奏"),
        _("强调安全和稳定"),
        _("推荐低风险方案"),
    ],
    Personality.ANALYTICAL: [
        _("严谨、专业地分析"),
        _("提供详细的数据和证据"),
        _("列出利弊"),
        _("在对方提出前先说明可能的异议"),
        _("书面承诺并给出时间表"),
        _("肯定对方，绝不争辩"),
    ],
}

LISTENING_GUIDANCE = {
    ListeningStyle.WANDERING: _("把话题引向对方感兴趣的内容"),
    ListeningStyle.SHALLOW: _("说话简短扼要"),
    ListeningStyle.TECHNICAL: _("提供事实和统计数据"),
    ListeningStyle.ACTIVE: _("多互动、多交流"),
}


def service_guidance(*, personality: str, listening_style: str) -> dict:
    """What an agent should keep in mind when serving this customer (empty when unknown)."""
    guidance = {"personality": None, "listening": None}
    if personality in PERSONALITY_GUIDANCE:
        guidance["personality"] = {
            "type": personality,
            "label": Personality(personality).label,
            "traits": PERSONALITY_TRAITS[personality],
            "disc": DISC_TYPES[personality],
            "tips": PERSONALITY_GUIDANCE[personality],
        }
    if listening_style in LISTENING_GUIDANCE:
        guidance["listening"] = {
            "style": listening_style,
            "label": ListeningStyle(listening_style).label,
            "tip": LISTENING_GUIDANCE[listening_style],
        }
    return guidance
