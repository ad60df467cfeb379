# ruff: noqa: E501  (whole sentences read better unbroken)
"""The default standard and forbidden phrases, as they were when this migration was written.

A frozen copy of huitou.tickets.phrase_seeds: editing that module changes what
`do_default_phrases_load()` adds, never what this migration does to a new database.
"""

from django.db import migrations

# (category, title, body)
STANDARD_PHRASES = [
    (
        "greeting",
        "接听问候",
        "您好，{客户称呼}，这里是客户服务中心，很高兴为您服务，请问有什么可以帮您？",
    ),
    (
        "greeting",
        "回电问候",
        "{客户称呼}您好，我是客服中心的客服专员，关于您反映的问题（工单号 {工单号}），现在给您回电。",
    ),
    ("greeting", "久等问候", "{客户称呼}，让您久等了，非常感谢您的耐心等待。"),
    ("welcome", "欢迎", "欢迎您再次联系我们，{客户称呼}，我们随时为您服务。"),
    ("welcome", "结束送别", "感谢您的来电，{客户称呼}，祝您生活愉快，再见！"),
    ("request", "请求核实", "{客户称呼}，为了尽快帮您处理，麻烦您提供一下订单号和联系电话，好吗？"),
    (
        "request",
        "请求稍候",
        "{客户称呼}，我需要为您查询一下相关记录，大约需要两分钟，请您稍候，可以吗？",
    ),
    (
        "thanks",
        "感谢反馈",
        "非常感谢您把这个情况告诉我们，{客户称呼}，您的意见对我们改进服务很重要。",
    ),
    ("thanks", "感谢理解", "谢谢您的理解和支持，{客户称呼}。"),
    ("inquiry", "征询需求", "{客户称呼}，请问还有其他需要我帮您处理的吗？"),
    ("inquiry", "征询方案", "{客户称呼}，我们为您准备了两个处理方案，您看哪一种更方便您？"),
    (
        "answer",
        "受理确认",
        "好的，{客户称呼}，您反映的问题我已经详细记录（工单号 {工单号}），我们会在{承诺日期}前给您明确答复。",
    ),
    ("answer", "复述确认", "{客户称呼}，我跟您确认一下：您希望我们……，我理解得对吗？"),
    (
        "answer",
        "处理结果",
        "{客户称呼}，关于您反映的问题（工单号 {工单号}），相关部门已经处理完毕，处理结果是：……",
    ),
    ("praise", "认同", "您说得很有道理，{客户称呼}，我能理解您的心情。"),
    ("praise", "赞赏建议", "{客户称呼}，您提的这个建议非常好，我们会转给相关部门认真研究。"),
    ("congratulation", "节日祝贺", "{客户称呼}，祝您节日快乐，阖家幸福！"),
    (
        "congratulation",
        "生日祝贺",
        "{客户称呼}，今天是您的生日，我们全体客服人员祝您生日快乐，万事如意！",
    ),
    (
        "declining",
        "委婉说明",
        "{客户称呼}，非常抱歉，这个要求目前我们暂时无法满足，不过我们可以为您……，您看这样可以吗？",
    ),
    (
        "declining",
        "转交处理",
        "{客户称呼}，这个问题需要专业部门为您处理，我已经为您转交，相关同事会在{承诺日期}前与您联系。",
    ),
    ("apology", "致歉", "非常抱歉给您带来了不便，{客户称呼}，我们一定尽快为您解决。"),
    (
        "apology",
        "加急致歉",
        "{客户称呼}，实在抱歉这次没能按时满足您的需要。我们已经在其他仓库为您调货，并会优先为您安排发货；下次如有急需，建议提前三天告诉我们，我们一定提前准备。",
    ),
    ("apology", "等待致歉", "{客户称呼}，对不起，让您久等了。"),
]

# (phrase, kind, suggestion): the list of SPEC §2 [000, 003].
FORBIDDEN_PHRASES = [
    ("这种问题连三岁的小孩都懂", "contempt", "您说的这个问题，我来为您详细解释一下。"),
    ("一分价钱一分货", "contempt", "这款产品的价格与它的用料和服务是相符的，我给您介绍一下。"),
    ("不可能，绝不可能发生这种事", "negation", "我能理解您的意思，我马上为您核实情况。"),
    ("这种问题不关我的事", "negation", "这个问题由相关部门负责，我帮您转交并跟进。"),
    ("这个问题不太清楚", "negation", "这个问题我需要核实一下，稍后给您明确答复。"),
    ("这是本公司的规定", "negation", "为了保障您的权益，我们的处理流程是这样的……"),
    ("这事儿没法办", "negation", "这件事确实有难度，我们一起看看有没有其他办法。"),
    ("没看我正忙着吗", "impatience", "请您稍等，我处理完手头的事马上为您服务。"),
    ("一个一个来", "impatience", "感谢您的耐心，我们会按顺序尽快为每位客户服务。"),
    ("别人觉得挺好呀", "provocation", "很抱歉这次没能让您满意，请您具体说说哪里不合适。"),
    ("我们一直都是这么卖的", "provocation", "感谢您的反馈，我们会认真考虑您的意见。"),
    ("你先听我解释", "provocation", "您说得很有道理，我能理解您的意思。"),
    ("你也有不对的地方", "provocation", "我理解您的感受，我们一起看看怎么解决。"),
    ("你怎么这么讲话", "provocation", "我能理解您现在的心情，请您慢慢说。"),
    ("你爱告哪儿告哪儿", "provocation", "非常抱歉让您不满意，我马上请主管为您处理。"),
    ("你去找消协吧", "provocation", "我们一定负责到底，请给我们一次为您解决的机会。"),
]


def seed(apps, schema_editor):
    StandardPhrase = apps.get_model("tickets", "StandardPhrase")
    ForbiddenPhrase = apps.get_model("tickets", "ForbiddenPhrase")
    if not StandardPhrase.objects.exists():
        StandardPhrase.objects.bulk_create(
            StandardPhrase(category=category, title=title, body=body, order=index)
            for index, (category, title, body) in enumerate(STANDARD_PHRASES)
        )
    for phrase, kind, suggestion in FORBIDDEN_PHRASES:
        ForbiddenPhrase.objects.get_or_create(
            phrase=phrase, defaults={"kind": kind, "suggestion": suggestion}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_phrases")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
