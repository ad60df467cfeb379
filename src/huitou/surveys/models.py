"""Satisfaction and questionnaires (满意度调查 / 问卷): what we ask customers and what they answer.

A questionnaire's questions live in versions: an answer keeps the version it answered, so a
question changed later never rewrites what a customer said. The rating after each contact is
an Invitation of kind "contact" on its ticket; the figures (CSAT, NPS, SERVQUAL gaps) are SQL
aggregates over Response and Answer, whose analysis dimensions (agent, department, queue,
channel, tier, ticket type) are copied onto the response when it is made."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- the contact rating's scale ---------------------------------------------------------------
# [000]: 很好 / 好 / 较好 / 一般 / 差; stored as 5 (很好) … 1 (差). The labels are configurable
# (SatisfactionSettings); the numbers are what every figure counts.
RATING_VALUES = (5, 4, 3, 2, 1)
TOP_TWO = (4, 5)  # CSAT is the share of these


class Purpose(models.TextChoices):
    """What a questionnaire is for [000, 002]."""

    SERVICE = "service", _("服务后评价")
    SAMPLE = "sample", _("随机抽样调查")
    LOST = "lost", _("流失客户调查")
    KEY = "key", _("重点客户调查")
    EXIT = "exit", _("离开调查")
    COMMENT_CARD = "comment_card", _("意见卡")
    SERVQUAL = "servqual", _("服务质量（SERVQUAL）")
    EVALUATION = "evaluation", _("服务质量测评")


class QuestionKind(models.TextChoices):
    """The answer forms of [002] and the scales of [000]."""

    YES_NO = "yes_no", _("是非题（两项选择）")
    SINGLE = "single", _("单项选择")
    MULTIPLE = "multiple", _("多项选择")
    RANKING = "ranking", _("顺位题")
    FILL_IN = "fill_in", _("填空题")
    COMPARISON = "comparison", _("比较题")
    RECALL = "recall", _("回忆题（列举）")
    MATRIX = "matrix", _("矩阵题")
    TEXT = "text", _("开放题")
    SCALE = "scale", _("评分量表")
    NPS = "nps", _("净推荐值（0–10）")


class Indicator(models.TextChoices):
    """The quality-evaluation indicators of [000]."""

    TIMELINESS = "timeliness", _("及时性")
    PROCESS = "process", _("流程顺畅")
    ATTITUDE = "attitude", _("服务态度")
    SKILL = "skill", _("业务技能")


class Dimension(models.TextChoices):
    """The five service-quality dimensions of [003] (SERVQUAL)."""

    RELIABILITY = "reliability", _("可靠性")
    TANGIBLES = "tangibles", _("有形性")
    RESPONSIVENESS = "responsiveness", _("响应性")
    EMPATHY = "empathy", _("同理性")
    ASSURANCE = "assurance", _("专业性")


class Side(models.TextChoices):
    """Which half of a paired item a question is: what the customer expects, what they got,
    or how much the indicator matters to them (importance × performance)."""

    NONE = "", _("—")
    EXPECTATION = "expectation", _("期望")
    PERCEPTION = "perception", _("感知")
    IMPORTANCE = "importance", _("重要性")


class Questionnaire(models.Model):
    """A questionnaire's parts [002]: title, instructions, respondent profile, main body
    (the questions of its current version), coding."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    purpose = models.CharField(
        _("用途"), max_length=16, choices=Purpose.choices, default=Purpose.SAMPLE
    )
    title = models.CharField(_("标题"), max_length=200)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    instructions = models.TextField(_("说明"), blank=True)
    instructions_en = models.TextField(_("英文说明"), blank=True)
    respondent_profile = models.TextField(_("被调查者基本情况"), blank=True)
    coding = models.TextField(_("编码说明"), blank=True)
    anonymous = models.BooleanField(_("匿名（不问姓名）"), default=False)
    builtin = models.CharField(_("内置模板"), max_length=32, blank=True)
    archived = models.BooleanField(_("已归档"), default=False)
    current_version = models.ForeignKey(
        "QuestionnaireVersion",
        verbose_name=_("当前版本"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("问卷")
        verbose_name_plural = _("问卷")
        permissions = [
            ("manage_surveys", _("设计问卷、发放调查")),
            ("view_survey_analysis", _("查看满意度分析")),
            ("enter_survey_answers", _("代客户录入电话调查答卷")),
            ("follow_up_rating", _("跟进低分评价")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class QuestionnaireVersion(models.Model):
    """The questions as they were when published; answers point here."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("修改说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("问卷版本")
        verbose_name_plural = _("问卷版本")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="survey_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.code} v{self.number}"


class Section(models.Model):
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveIntegerField(_("顺序"))
    title = models.CharField(_("标题"), max_length=200, blank=True)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("问卷部分")
        verbose_name_plural = _("问卷部分")

    def __str__(self) -> str:
        return self.title or f"#{self.position}"


class Question(models.Model):
    """One question of a version. `options` are [{value, label, label_en}] (choices, scale
    points); `items` the same shape for the rows of a matrix, the things to rank or compare,
    or the number of lines a recall question asks for. `show_if` is skip logic:
    {"question": key, "op": "in" | "not_in" | "answered" | "gte" | "lte", "values": [...]}
    on an earlier question's answer."""

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, null=True, blank=True, related_name="questions"
    )
    position = models.PositiveIntegerField(_("顺序"))
    key = models.CharField(_("题号"), max_length=16)  # the coding: stable across versions
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    text = models.CharField(_("题目"), max_length=500)
    text_en = models.CharField(_("英文题目"), max_length=500, blank=True)
    help = models.CharField(_("提示"), max_length=300, blank=True)
    help_en = models.CharField(_("英文提示"), max_length=300, blank=True)
    required = models.BooleanField(_("必答"), default=True)
    options = models.JSONField(_("选项"), default=list, blank=True)
    allow_other = models.BooleanField(_("含“其他”"), default=False)
    items = models.JSONField(_("子项"), default=list, blank=True)
    min_choices = models.PositiveSmallIntegerField(_("至少选"), null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("至多选"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("字数上限"), default=1000)
    show_if = models.JSONField(_("显示条件"), default=dict, blank=True)
    indicator = models.CharField(
        _("测评指标"), max_length=16, choices=Indicator.choices, blank=True
    )
    dimension = models.CharField(
        _("质量维度"), max_length=16, choices=Dimension.choices, blank=True
    )
    side = models.CharField(_("配对"), max_length=16, choices=Side.choices, blank=True)
    pair = models.CharField(_("配对题号"), max_length=16, blank=True)  # SERVQUAL item number
    # The overall satisfaction (a 5-level scale: copied to Response.rating, counted in CSAT).
    overall = models.BooleanField(_("总体满意度题"), default=False)

    class Meta:
        ordering = ["position"]
        verbose_name = _("题目")
        verbose_name_plural = _("题目")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="survey_question_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.text}"


class Distribution(models.Model):
    """One round of sending a questionnaire [000, 002]: to whom (a segment, a sample of it,
    anyone with the link), how (e-mail, SMS, link, QR code, the portal, a phone survey),
    until when, how many answers are enough, and when to remind."""

    class Audience(models.TextChoices):
        SEGMENT = "segment", _("客户分群抽样")
        OPEN = "open", _("公开链接（任何人）")
        PHONE = "phone", _("电话调查（坐席录入）")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="distributions"
    )
    name = models.CharField(_("名称"), max_length=200)
    audience = models.CharField(
        _("对象"), max_length=16, choices=Audience.choices, default=Audience.SEGMENT
    )
    # {"tier": [...], "tag": [...], "stage": [...], "last_contact_days": {"min": n, "max": m}}
    segment = models.JSONField(_("客户分群"), default=dict, blank=True)
    sample_percent = models.PositiveSmallIntegerField(_("抽样比例 %"), default=100)
    channels = models.JSONField(_("发放渠道"), default=list, blank=True)  # email, sms, link
    quota = models.PositiveIntegerField(_("配额（够数即止）"), null=True, blank=True)
    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    remind_after_days = models.PositiveSmallIntegerField(_("几天后提醒"), null=True, blank=True)
    max_reminders = models.PositiveSmallIntegerField(_("最多提醒次数"), default=1)
    in_portal = models.BooleanField(_("在客户门户展示"), default=False)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True
    )
    public_token = models.CharField(_("公开链接令牌"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调查发放")
        verbose_name_plural = _("调查发放")

    def __str__(self) -> str:
        return self.name


class InviteState(models.TextChoices):
    SCHEDULED = "scheduled", _("待发送")
    INVITED = "invited", _("已邀请")
    ANSWERED = "answered", _("已回答")
    SKIPPED = "skipped", _("未发送")  # sampling, cool-down, no way to reach the customer
    EXPIRED = "expired", _("已过期")


class Invitation(models.Model):
    """One invitee's chance to answer once: the rating of one contact (kind contact, on its
    ticket) or one customer of a distribution. The link carries `token`."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("服务评价")
        SURVEY = "survey", _("问卷调查")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    token = models.CharField(_("链接令牌"), max_length=64, unique=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=InviteState.choices, default=InviteState.SCHEDULED
    )
    skip_reason = models.CharField(_("未发送原因"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True,
        related_name="survey_invitations",
    )  # fmt: skip
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True,
        related_name="survey_invitations",
    )  # fmt: skip
    distribution = models.ForeignKey(
        Distribution, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # a contact rating with extra questions, or the distribution's questionnaire
    channel = models.CharField(_("邀请渠道"), max_length=16, blank=True)  # email sms chat …
    address = models.CharField(_("发送地址"), max_length=254, blank=True)
    due_at = models.DateTimeField(_("计划发送"), db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("已提醒"), default=0)
    last_sent_at = models.DateTimeField(_("最近发送"), null=True, blank=True)
    expires_at = models.DateTimeField(_("链接有效期至"))
    answered_at = models.DateTimeField(_("回答时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("调查邀请")
        verbose_name_plural = _("调查邀请")
        constraints = [
            # One rating per contact; one invitation per customer per distribution.
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(kind="contact"), name="survey_contact_once"
            ),
            models.UniqueConstraint(
                fields=["distribution", "customer"],
                condition=models.Q(customer__isnull=False),
                name="survey_invitee_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="survey_invite_due"),
            models.Index(fields=["customer", "kind", "sent_at"], name="survey_invite_cooldown"),
            # The response rate counts the invitations sent in a period.
            models.Index(fields=["sent_at"], name="survey_invite_sent"),
        ]

    def __str__(self) -> str:
        return self.token[:8]

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class Response(models.Model):
    """One answer sheet (答卷). The contact rating's three answers sit on it (rating 5 … 1,
    comment, reason); a questionnaire's answers are Answer rows. The analysis dimensions are
    copied here when it is made, so every figure is one GROUP BY."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="response"
    )
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, null=True, blank=True,
        related_name="responses",
    )  # fmt: skip
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    distribution = models.ForeignKey(
        Distribution, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="survey_responses",
    )  # fmt: skip
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="survey_responses",
    )  # fmt: skip
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("推荐意愿（0–10）"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    reason = models.CharField(_("不满意原因"), max_length=32, blank=True)
    # Analysis dimensions, as they were at the contact.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="survey_responses",
    )  # fmt: skip
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queue = models.ForeignKey(
        "sla.Queue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=16, blank=True)
    tier = models.CharField(_("价值等级"), max_length=1, blank=True)
    ticket_type = models.CharField(_("工单类型"), max_length=16, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip  # an agent keying in a phone survey
    answered_at = models.DateTimeField(_("回答时间"), db_index=True)
    changed_at = models.DateTimeField(_("修改时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        indexes = [
            models.Index(fields=["questionnaire", "answered_at"], name="survey_resp_q_time"),
            models.Index(fields=["agent", "answered_at"], name="survey_resp_agent_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Answer(models.Model):
    """One answer to one question; several rows for a multiple choice, a ranking, a matrix
    or a recall list (one per chosen option, ranked or rated item, listed line). `number`
    holds what is counted (a scale point, 0–10, 1/0 for yes/no, a rank); `choice` the
    chosen option's value; `item` the matrix row / ranked item; `text` what was written."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    item = models.CharField(max_length=32, blank=True)
    choice = models.CharField(max_length=32, blank=True)
    number = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("答案")
        verbose_name_plural = _("答案")
        indexes = [models.Index(fields=["question", "number"], name="survey_answer_q_num")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice or self.number or self.text[:20]}"


class SatisfactionSettings(models.Model):
    """The contact rating's wording (one row): the five labels, the reasons offered for a
    low rating, how long the link lives and how long an answer may be changed."""

    labels = models.JSONField(_("五级评价（很好→差）"), default=list)
    labels_en = models.JSONField(_("英文五级评价"), default=list)
    reasons = models.JSONField(_("低分原因"), default=list)  # [{value, label, label_en}]
    low_at_most = models.PositiveSmallIntegerField(_("低分（不高于）"), default=2)
    link_days = models.PositiveSmallIntegerField(_("链接有效天数"), default=14)
    change_days = models.PositiveSmallIntegerField(_("可修改天数"), default=3)

    class Meta:
        verbose_name = _("满意度设置")
        verbose_name_plural = _("满意度设置")

    def __str__(self) -> str:
        return str(_("满意度设置"))


class SatisfactionRule(models.Model):
    """When to ask after a contact, per channel and tier (blank: any). The most specific
    enabled rule wins (channel and tier > channel > tier > any)."""

    channel = models.CharField(_("渠道"), max_length=16, blank=True)
    tier = models.CharField(_("价值等级"), max_length=1, blank=True)
    enabled = models.BooleanField(_("发送评价邀请"), default=True)
    delay_minutes = models.PositiveIntegerField(_("解决后延迟（分钟）"), default=0)
    sample_percent = models.PositiveSmallIntegerField(_("抽样比例 %"), default=100)
    cooldown_days = models.PositiveSmallIntegerField(_("同一客户间隔（天）"), default=7)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("附加问卷"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("评价规则")
        verbose_name_plural = _("评价规则")
        constraints = [models.UniqueConstraint(fields=["channel", "tier"], name="survey_rule_once")]

    def __str__(self) -> str:
        return f"{self.channel or '*'}/{self.tier or '*'}"


class FollowUp(models.Model):
    """A low rating is a hidden complaint surfaced [003]: a supervisor calls back."""

    class State(models.TextChoices):
        OPEN = "open", _("待跟进")
        DONE = "done", _("已跟进")

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("跟进人"),
    )  # fmt: skip
    outcome = models.TextField(_("跟进结果"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("低分跟进")
        verbose_name_plural = _("低分跟进")

    def __str__(self) -> str:
        return f"{self.response_id} {self.state}"


class EvaluationRound(models.Model):
    """One round of the quality-evaluation loop [000]: plan → questionnaire → collect →
    process → analyse → report, over one period."""

    class Stage(models.TextChoices):
        PLAN = "plan", _("制定计划")
        QUESTIONNAIRE = "questionnaire", _("设计问卷")
        COLLECT = "collect", _("收集数据")
        PROCESS = "process", _("整理数据")
        ANALYSE = "analyse", _("分析")
        REPORT = "report", _("撰写报告")

    class Input(models.TextChoices):
        """Where the round's information comes from [000]."""

        SATISFACTION = "satisfaction", _("满意度调查")
        OBSERVATION = "observation", _("现场观察")
        COMPLAINTS = "complaints", _("投诉反应")
        PHONE_TRACKING = "phone_tracking", _("电话追踪（质检）")
        MYSTERY_SHOPPER = "mystery_shopper", _("神秘客")
        OPINION = "opinion", _("意见调查")

    name = models.CharField(_("名称"), max_length=200)
    aims = models.TextField(_("测评目的"), blank=True)
    scope = models.TextField(_("测评范围"), blank=True)
    respondents = models.TextField(_("调查对象"), blank=True)
    inputs = models.JSONField(_("信息来源"), default=list, blank=True)  # Input values
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.PLAN)
    plan = models.TextField(_("测评计划"), blank=True)  # aims, scope, who, how
    period_start = models.DateField(_("测评期开始"))
    period_end = models.DateField(_("测评期结束"))
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    distribution = models.ForeignKey(
        Distribution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    findings = models.TextField(_("结论与改进"), blank=True)
    actions = models.TextField(_("改进措施"), blank=True)
    # The figures as analysed (process summary, indicators, objective measures): the report
    # shows these, so it never changes under its readers.
    results = models.JSONField(_("分析结果"), default=dict, blank=True)
    analysed_at = models.DateTimeField(_("分析时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务质量测评")
        verbose_name_plural = _("服务质量测评")

    def __str__(self) -> str:
        return self.name
