# ruff: noqa: E501  (the templates are text: one line per statement reads best)
"""The questionnaires shipped with the product (内置模板), made by
`ensure_builtin_questionnaires()` (idempotent: one per template, found by its `builtin` name):

- servqual: the paired SERVQUAL questionnaire of [003] — 22 items over the five dimensions
  (有形 tangibles 1–4, 可靠 reliability 5–9, 响应 responsiveness 10–13, 专业 assurance
  14–17, 同理 empathy 18–22), each asked as an expectation and a perception on the same
  5-level scale (classic SERVQUAL uses 7 points; 5 keeps every scale in the product alike),
  and how much each dimension matters;
- comment_card: an anonymous comment card (意见卡) of seven questions, no name asked;
- post_service: after a contact: the overall 5-level rating, NPS, free text;
- evaluation: the quality evaluation of [000] by its indicators timeliness, process,
  attitude and skill (performance and importance of each)."""

from django.db import transaction

from .models import Dimension, Indicator, Purpose, QuestionKind, Questionnaire, Side
from .questionnaires import SCALE_5, do_questionnaire_create

AGREE = [
    {"value": "5", "label": "非常同意", "label_en": "Strongly agree"},
    {"value": "4", "label": "同意", "label_en": "Agree"},
    {"value": "3", "label": "说不清", "label_en": "Neutral"},
    {"value": "2", "label": "不同意", "label_en": "Disagree"},
    {"value": "1", "label": "非常不同意", "label_en": "Strongly disagree"},
]
IMPORTANCE = [
    {"value": "5", "label": "非常重要", "label_en": "Very important"},
    {"value": "4", "label": "重要", "label_en": "Important"},
    {"value": "3", "label": "一般", "label_en": "Moderately important"},
    {"value": "2", "label": "不太重要", "label_en": "Slightly important"},
    {"value": "1", "label": "不重要", "label_en": "Not important"},
]

# (dimension, Chinese, English) of the 22 SERVQUAL items, in the classic order.
SERVQUAL_ITEMS = [
    (Dimension.TANGIBLES, "有现代化的服务设施和工具", "have up-to-date equipment and tools"),
    (
        Dimension.TANGIBLES,
        "服务场所和网站、App 美观舒适",
        "have visually appealing premises, website and app",
    ),
    (Dimension.TANGIBLES, "员工穿着整洁、用语规范", "have staff who are neat and speak properly"),
    (Dimension.TANGIBLES, "说明书、单据等资料清楚易懂", "have clear manuals, forms and statements"),
    (
        Dimension.RELIABILITY,
        "承诺在某个时间做到的事，按时做到",
        "do what they promise by the time they promise",
    ),
    (
        Dimension.RELIABILITY,
        "客户遇到问题时，真诚地帮助解决",
        "show a sincere interest in solving a customer's problem",
    ),
    (Dimension.RELIABILITY, "第一次就把服务做好", "perform the service right the first time"),
    (Dimension.RELIABILITY, "在承诺的时间提供服务", "provide the service at the time they promise"),
    (Dimension.RELIABILITY, "记录准确、不出差错", "keep accurate, error-free records"),
    (
        Dimension.RESPONSIVENESS,
        "告诉客户服务的确切时间",
        "tell customers exactly when the service will be done",
    ),
    (Dimension.RESPONSIVENESS, "员工迅速地提供服务", "give prompt service"),
    (Dimension.RESPONSIVENESS, "员工总是乐意帮助客户", "always be willing to help customers"),
    (
        Dimension.RESPONSIVENESS,
        "员工再忙也会及时回应客户的请求",
        "never be too busy to respond to a request",
    ),
    (Dimension.ASSURANCE, "员工的言行让客户信任", "have staff whose behaviour instils confidence"),
    (Dimension.ASSURANCE, "客户在交易中感到安心", "make customers feel safe in their transactions"),
    (Dimension.ASSURANCE, "员工始终礼貌待客", "have staff who are always courteous"),
    (
        Dimension.ASSURANCE,
        "员工有足够的专业知识回答客户的问题",
        "have staff with the knowledge to answer questions",
    ),
    (Dimension.EMPATHY, "给予每位客户个别的关心", "give each customer individual attention"),
    (Dimension.EMPATHY, "服务时间方便所有客户", "have opening hours convenient to all customers"),
    (
        Dimension.EMPATHY,
        "有员工给予客户个人的关怀",
        "have staff who give customers personal attention",
    ),
    (Dimension.EMPATHY, "把客户的利益放在心上", "have the customer's best interests at heart"),
    (Dimension.EMPATHY, "了解客户的具体需要", "understand the specific needs of their customers"),
]
DIMENSION_TEXTS = {
    Dimension.TANGIBLES: ("有形性：设施、环境、员工仪表和资料", "Tangibles: facilities, premises, staff appearance, materials"),
    Dimension.RELIABILITY: ("可靠性：可靠、准确地兑现承诺", "Reliability: delivering the promised service dependably and accurately"),
    Dimension.RESPONSIVENESS: ("响应性：乐于帮助、迅速提供服务", "Responsiveness: willingness to help and prompt service"),
    Dimension.ASSURANCE: ("专业性：员工的知识、礼貌和让人信任的能力", "Assurance: staff knowledge, courtesy and ability to inspire trust"),
    Dimension.EMPATHY: ("同理性：关心客户、给予个别的关注", "Empathy: caring, individual attention to customers"),
}  # fmt: skip


def _q(key, kind, text, text_en, **extra) -> dict:
    return {"key": key, "kind": kind, "text": text, "text_en": text_en, **extra}


def servqual_body() -> dict:
    expect, perceive = [], []
    for number, (dimension, text, text_en) in enumerate(SERVQUAL_ITEMS, start=1):
        common = {"options": AGREE, "dimension": dimension, "pair": str(number)}
        expect.append(
            _q(f"E{number}", QuestionKind.SCALE, f"优秀的服务企业应当{text}。",
               f"An excellent service company would {text_en}.",
               side=Side.EXPECTATION, **common)
        )  # fmt: skip
        perceive.append(
            _q(f"P{number}", QuestionKind.SCALE, f"我们公司{text}。",
               f"Our company does {text_en}.", side=Side.PERCEPTION, **common)
        )  # fmt: skip
    importance = [
        _q(f"I-{dimension.value[:8]}", QuestionKind.SCALE, text, text_en,
           options=IMPORTANCE, dimension=dimension, side=Side.IMPORTANCE)
        for dimension, (text, text_en) in DIMENSION_TEXTS.items()
    ]  # fmt: skip
    return {
        "note": "SERVQUAL",
        "sections": [
            {
                "title": "第一部分：您的期望",
                "title_en": "Part 1: what you expect",
                "description": "请根据您心目中优秀的服务企业，评价以下每一句话。",
                "description_en": "Think of an excellent service company and rate each statement.",
                "questions": expect,
            },
            {
                "title": "第二部分：您的感受",
                "title_en": "Part 2: what you experienced",
                "description": "请根据您在我们这里得到的服务，评价以下每一句话。",
                "description_en": "Rate each statement by the service you received from us.",
                "questions": perceive,
            },
            {
                "title": "第三部分：各方面对您有多重要",
                "title_en": "Part 3: how much each matters to you",
                "questions": importance,
            },
        ],
    }


def comment_card_body() -> dict:
    channels = [
        {"value": "phone", "label": "电话", "label_en": "Phone"},
        {"value": "chat", "label": "在线客服", "label_en": "Online chat"},
        {"value": "email", "label": "电子邮件", "label_en": "E-mail"},
        {"value": "store", "label": "门店", "label_en": "In a store"},
    ]
    liked = [
        {"value": "speed", "label": "速度快", "label_en": "Speed"},
        {"value": "attitude", "label": "态度好", "label_en": "Friendliness"},
        {"value": "skill", "label": "专业", "label_en": "Expertise"},
        {"value": "solved", "label": "问题解决了", "label_en": "Problem solved"},
    ]
    return {
        "note": "意见卡",
        "sections": [
            {
                "questions": [
                    _q("C1", QuestionKind.SINGLE, "您这次通过什么方式联系我们？",
                       "How did you contact us this time?", options=channels, allow_other=True),
                    _q("C2", QuestionKind.SCALE, "总体来说，您对我们的服务满意吗？",
                       "Overall, how satisfied are you with our service?",
                       options=SCALE_5, overall=True),
                    _q("C3", QuestionKind.YES_NO, "您的问题解决了吗？", "Was your problem solved?"),
                    _q("C4", QuestionKind.SCALE, "员工的服务态度如何？",
                       "How was the staff's attitude?", options=SCALE_5,
                       indicator=Indicator.ATTITUDE),
                    _q("C5", QuestionKind.MULTIPLE, "您最满意哪些方面？（可多选）",
                       "What did you like most? (choose any)", options=liked,
                       allow_other=True, required=False),
                    _q("C6", QuestionKind.NPS, "您有多大可能把我们推荐给亲友？（0–10）",
                       "How likely are you to recommend us to a friend? (0–10)"),
                    _q("C7", QuestionKind.TEXT, "您还有什么意见或建议？",
                       "Any other comments or suggestions?", required=False),
                ]
            }
        ],
    }  # fmt: skip


def post_service_body() -> dict:
    reasons = [
        {"value": "waiting", "label": "等待时间太长", "label_en": "I waited too long"},
        {"value": "unsolved", "label": "问题没有解决", "label_en": "My problem was not solved"},
        {"value": "attitude", "label": "服务态度不好", "label_en": "The staff were unfriendly"},
        {"value": "unclear", "label": "答复不清楚", "label_en": "The answer was unclear"},
    ]
    return {
        "note": "服务后评价",
        "sections": [
            {
                "questions": [
                    _q("S1", QuestionKind.SCALE, "您对本次服务满意吗？",
                       "How satisfied are you with this service?", options=SCALE_5,
                       overall=True),
                    _q("S2", QuestionKind.MULTIPLE, "哪里让您不满意？（可多选）",
                       "What disappointed you? (choose any)", options=reasons,
                       allow_other=True, required=False,
                       show_if={"question": "S1", "op": "lte", "values": [2]}),
                    _q("S3", QuestionKind.NPS, "您有多大可能把我们推荐给亲友？（0–10）",
                       "How likely are you to recommend us to a friend? (0–10)"),
                    _q("S4", QuestionKind.TEXT, "您的意见或建议", "Your comments or suggestions",
                       required=False),
                ]
            }
        ],
    }  # fmt: skip


EVALUATION_TEXTS = {
    Indicator.TIMELINESS: (
        ("我们接通电话、回复消息及时吗？", "Did we answer your call or message promptly?"),
        ("您的问题在承诺的时间内得到解决了吗？", "Was your problem solved within the time we promised?"),
    ),
    Indicator.PROCESS: (
        ("办理过程顺畅吗？", "Did the process go smoothly?"),
        ("您需要反复说明情况或被多次转接吗？（5 = 完全不需要）", "Did you have to repeat yourself or get passed around? (5 = not at all)"),
    ),
    Indicator.ATTITUDE: (
        ("服务人员热情、有礼貌吗？", "Were the staff warm and polite?"),
        ("服务人员耐心倾听您的问题吗？", "Did the staff listen to you patiently?"),
    ),
    Indicator.SKILL: (
        ("服务人员的业务知识够专业吗？", "Did the staff know their business?"),
        ("给您的答复准确、清楚吗？", "Was the answer accurate and clear?"),
    ),
}  # fmt: skip
INDICATOR_NAMES = {
    Indicator.TIMELINESS: ("及时性", "Timeliness"),
    Indicator.PROCESS: ("流程顺畅", "A smooth process"),
    Indicator.ATTITUDE: ("服务态度", "Attitude"),
    Indicator.SKILL: ("业务技能", "Skill"),
}


def evaluation_body() -> dict:
    performance, importance, number = [], [], 0
    for indicator, texts in EVALUATION_TEXTS.items():
        for text, text_en in texts:
            number += 1
            performance.append(
                _q(f"Q{number}", QuestionKind.SCALE, text, text_en, options=SCALE_5,
                   indicator=indicator, side=Side.PERCEPTION)
            )  # fmt: skip
        name, name_en = INDICATOR_NAMES[indicator]
        importance.append(
            _q(f"W-{indicator.value}", QuestionKind.SCALE, f"“{name}”对您有多重要？",
               f"How much does “{name_en}” matter to you?", options=IMPORTANCE,
               indicator=indicator, side=Side.IMPORTANCE)
        )  # fmt: skip
    closing = [
        _q("Q9", QuestionKind.SCALE, "总体来说，您对我们的服务满意吗？",
           "Overall, how satisfied are you with our service?", options=SCALE_5, overall=True),
        _q("Q10", QuestionKind.TEXT, "您认为我们最需要改进的是什么？",
           "What should we improve first?", required=False),
    ]  # fmt: skip
    return {
        "note": "服务质量测评",
        "sections": [
            {"title": "服务表现", "title_en": "How we did", "questions": performance},
            {"title": "重要程度", "title_en": "What matters to you", "questions": importance},
            {"title": "总体评价", "title_en": "Overall", "questions": closing},
        ],
    }


TEMPLATES = {
    "servqual": {
        "code": "SERVQUAL",
        "purpose": Purpose.SERVQUAL,
        "title": "服务质量调查（SERVQUAL）",
        "title_en": "Service quality survey (SERVQUAL)",
        "instructions": "本问卷分三部分：先请您评价心目中优秀的服务应当如何，再评价您在我们这里得到的服务，最后告诉我们各方面对您有多重要。约需 8 分钟。",
        "instructions_en": "Three parts: what excellent service would be like, what you got from us, and how much each aspect matters to you. About 8 minutes.",
        "respondent_profile": "近 6 个月内接受过服务的客户。",
        "coding": "E1–E22 期望，P1–P22 感知，同一编号为一对；I-* 为五个维度的重要性。差距 = 感知 − 期望。",
        "body": servqual_body,
    },
    "comment_card": {
        "code": "COMMENT-CARD",
        "purpose": Purpose.COMMENT_CARD,
        "title": "意见卡",
        "title_en": "Comment card",
        "instructions": "本卡匿名填写，不需要留下姓名。感谢您花一分钟告诉我们您的感受。",
        "instructions_en": "This card is anonymous: no name needed. Thank you for a minute of your time.",
        "anonymous": True,
        "coding": "C1–C7；C2 为总体满意度（5 = 很好），C6 为推荐意愿。",
        "body": comment_card_body,
    },
    "post_service": {
        "code": "POST-SERVICE",
        "purpose": Purpose.SERVICE,
        "title": "服务后评价",
        "title_en": "After your service",
        "instructions": "请花半分钟评价本次服务。",
        "instructions_en": "Please take half a minute to rate this service.",
        "coding": "S1 总体满意度（5 = 很好），S2 仅在 S1 ≤ 2 时出现，S3 推荐意愿（0–10）。",
        "body": post_service_body,
    },
    "evaluation": {
        "code": "EVALUATION",
        "purpose": Purpose.EVALUATION,
        "title": "服务质量测评问卷",
        "title_en": "Service quality evaluation",
        "instructions": "请就及时性、流程、服务态度和业务技能评价我们的服务，并告诉我们每一项对您有多重要。",
        "instructions_en": "Please rate our timeliness, process, attitude and skill, and how much each matters to you.",
        "respondent_profile": "测评期内接受过服务的客户（按价值等级分层抽样）。",
        "coding": "Q1–Q8 表现（每个指标两题），W-* 重要性，Q9 总体满意度。",
        "body": evaluation_body,
    },
}  # fmt: skip


def ensure_builtin_questionnaires() -> list[Questionnaire]:
    """Make each shipped template once; a template staff changed or archived is left as is."""
    made = []
    with transaction.atomic():
        existing = {
            row.builtin: row for row in Questionnaire.objects.exclude(builtin="").order_by("pk")
        }
        for name, template in TEMPLATES.items():
            if name in existing:
                made.append(existing[name])
                continue
            data = {key: value for key, value in template.items() if key != "body"}
            if Questionnaire.objects.filter(code=data["code"]).exists():
                data["code"] = ""  # a staff questionnaire took the code: number this one
            data["body"] = template["body"]()
            made.append(do_questionnaire_create(actor=None, data=data, builtin=name))
    return made
