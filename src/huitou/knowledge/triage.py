"""Triage (分诊) of incoming text: ticket type, complaint cause (SPEC §3), and anger.

The anger scorer is ours: weighted anger and threat words, negated praise within a short
window (不满意, 不负责), intensity marks (！！, ？？), demands made urgent, and how often the
customer has been in touch lately. Each signal adds to a score; 2.0 or more is angry."""

import re
from dataclasses import asdict, dataclass

from .text import normalise

ANGER_WORDS = {
    "12315": 3.0, "消协": 2.5, "工商局": 2.5, "报警": 3.0, "律师": 2.5, "起诉": 3.0,
    "法院": 2.5, "曝光": 2.5, "媒体": 1.5, "骗子": 3.0, "欺骗": 2.5, "骗人": 3.0, "骗": 1.5,
    "垃圾": 2.5, "坑人": 2.5, "忽悠": 2.0, "恶心": 2.5, "气死": 2.5, "滚": 3.0, "无语": 1.5,
    "投诉": 1.5, "差评": 1.5, "太差": 2.0, "很差": 1.5, "非常差": 2.5, "差劲": 2.0,
    "失望": 2.0, "再也不": 2.0, "凭什么": 2.0, "什么态度": 2.0, "乱收费": 2.0,
    "没人理": 2.0, "没人管": 2.0, "不理": 1.5, "听不懂人话": 2.5, "故意": 1.5,
    "拖着": 1.5, "敷衍": 2.0, "黑心": 2.5, "退钱": 1.0, "赔偿": 1.0, "受够": 2.5,
    "太过分": 2.5, "过分": 1.5, "离谱": 1.5, "太离谱": 1.0, "忍无可忍": 3.0,
}  # fmt: skip
PRAISE = ("满意", "负责", "靠谱", "专业", "用心", "及时", "好用")
NEGATIONS = ("不", "没", "没有", "太不", "很不", "非常不", "一点也不", "一点都不")
REPEATS = re.compile(r"(第?[二三四五六七八九十两\d]+次|好几次|多次|又一次|一个多月|这么久)")
URGENT = ("立刻", "马上", "赶紧", "立即")
CALM = ("谢谢", "感谢", "麻烦您", "辛苦")
ANGRY_AT = 2.0

TYPE_WORDS = [
    ("complaint", ("投诉", "不满意", "差评", "骗", "乱收费", "态度差", "太差")),
    ("technical", ("坏了", "故障", "不能用", "不制冷", "漏水", "维修", "报修", "死机", "异响",
                   "安装", "不工作", "打不开", "连不上")),
    ("order", ("订单", "物流", "发货", "快递", "收货", "地址", "退货", "换货", "到货", "下单")),
    ("suggestion", ("建议", "希望你们", "能不能增加", "可以考虑")),
    ("praise", ("表扬", "点赞", "很好", "非常好", "专业", "感谢")),
]  # fmt: skip
CAUSE_WORDS = [
    ("integrity", ("骗", "虚假", "宣传", "承诺", "说好的", "不兑现")),
    ("price", ("价格", "太贵", "乱收费", "多收", "收费", "差价", "扣费")),
    ("delivery", ("物流", "快递", "送货", "发货", "没收到", "配送", "到货")),
    ("contract", ("合同", "合约", "违约", "条款", "协议")),
    ("service", ("态度", "客服", "服务", "没人理", "师傅", "敷衍", "不理")),
    ("product_quality", ("坏", "质量", "故障", "漏水", "不制冷", "破", "用了")),
]  # fmt: skip


@dataclass(frozen=True)
class Triage:
    type: str
    cause: str
    anger_score: float
    angry: bool
    priority: str

    def as_dict(self) -> dict:
        return asdict(self)


def anger_score(text: str, *, recent_contacts: int = 0) -> float:
    raw = text or ""
    plain = normalise(raw).replace(" ", "")
    score = 0.0
    for word, weight in ANGER_WORDS.items():
        if word in plain:
            score += weight
    for praise in PRAISE:
        for position in [m.start() for m in re.finditer(praise, plain)]:
            window = plain[max(0, position - 4) : position]
            if any(window.endswith(negation) for negation in NEGATIONS):
                score += 2.0  # 不满意, 很不负责
    if REPEATS.search(plain):
        score += 1.0
    exclaim = len(re.findall(r"[!！]{2,}", raw)) + len(re.findall(r"[?？]{2,}", raw)) * 0.5
    score += min(exclaim, 2.0)
    if any(word in plain for word in URGENT) and re.search(r"[!！]", raw):
        score += 0.5
    score += min(recent_contacts, 3) * 0.5
    if score < ANGRY_AT and any(word in plain for word in CALM):
        score -= 1.0
    return round(max(score, 0.0), 2)


def _first_match(plain: str, table) -> str:
    for label, words in table:
        if any(word in plain for word in words):
            return label
    return ""


def triage(text: str, *, recent_contacts: int = 0) -> Triage:
    plain = normalise(text).replace(" ", "")
    score = anger_score(text, recent_contacts=recent_contacts)
    angry = score >= ANGRY_AT
    ticket_type = _first_match(plain, TYPE_WORDS) or "consultation"
    if angry and ticket_type in ("consultation", "praise", "suggestion"):
        ticket_type = "complaint"
    cause = _first_match(plain, CAUSE_WORDS) if ticket_type == "complaint" or angry else ""
    priority = "urgent" if score >= 4.5 else "high" if angry else "normal"
    return Triage(ticket_type, cause, score, angry, priority)
