from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .personality import ListeningStyle, Personality


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("个人")
    ORGANIZATION = "organization", _("组织")


class Tier(models.TextChoices):
    A = "A", _("A 类（重要）")
    B = "B", _("B 类（主要）")
    C = "C", _("C 类（普通）")
    D = "D", _("D 类（小客户）")


class Stage(models.TextChoices):
    POTENTIAL = "potential", _("潜在客户")
    TARGET = "target", _("目标客户")
    CURRENT = "current", _("现实客户")
    LOST = "lost", _("流失客户")


class Gender(models.TextChoices):
    UNKNOWN = "", _("未知")
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Customer(models.Model):
    number = models.CharField(_("客户编号"), max_length=16, unique=True, editable=False)
    kind = models.CharField(
        _("类型"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    # National digits only, so "138 0013-8000" and "+86 13800138000" find the same customer.
    phone_digits = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("电子邮件"), blank=True, db_index=True)
    id_number = models.CharField(_("证件号码"), max_length=32, blank=True, db_index=True)
    tier = models.CharField(_("价值等级"), max_length=1, choices=Tier.choices, default=Tier.C)
    stage = models.CharField(
        _("生命周期阶段"), max_length=16, choices=Stage.choices, default=Stage.POTENTIAL
    )
    is_internal = models.BooleanField(_("内部客户"), default=False)
    gender = models.CharField(
        _("性别"), max_length=8, choices=Gender.choices, blank=True, default=Gender.UNKNOWN
    )
    city = models.CharField(_("城市"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    note = models.TextField(_("备注"), blank=True)
    # Matching key for imports from other systems (ERP, shop); unique when present.
    external_id = models.CharField(_("外部编号"), max_length=64, null=True, blank=True, unique=True)
    # Potential-customer card [002].
    hobbies = models.CharField(_("兴趣爱好"), max_length=200, blank=True)
    needs = models.TextField(_("需求"), blank=True)
    # Relational information: how to serve this person [000, 003].
    personality = models.CharField(
        _("性格类型"), max_length=16, choices=Personality.choices, blank=True, default=""
    )
    listening_style = models.CharField(
        _("倾听风格"), max_length=16, choices=ListeningStyle.choices, blank=True, default=""
    )
    # Qualification review of prospects [002]: need × ability to pay × decision authority.
    has_need = models.BooleanField(_("有需求"), null=True, blank=True)
    can_pay = models.BooleanField(_("有支付能力"), null=True, blank=True)
    has_authority = models.BooleanField(_("有决策权"), null=True, blank=True)
    # Lost card.
    lost_at = models.DateTimeField(_("流失时间"), null=True, blank=True)
    loss_reason = models.ForeignKey(
        "customers.LossReason",
        verbose_name=_("流失原因"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    loss_note = models.CharField(_("流失说明"), max_length=200, blank=True)
    # Set by the loss-risk job for current customers without a recent transaction.
    loss_risk_since = models.DateTimeField(_("流失风险起始"), null=True, blank=True, db_index=True)
    # A duplicate merged into another record stays (numbers are never reused) but is hidden.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("已合并到"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建档人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Set when the personal data was erased (on request or by the retention schedule).
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tier", "stage"])]
        # Work on the whole archive at once: duplicates, merges, bulk import and export.
        permissions = [
            ("cleanse_customers", _("整理客户档案（查重、合并、批量导入与导出）")),
            # Personal information (PIPL): see privacy.py for who holds which.
            ("view_personal_data", _("查看完整的电话、电子邮件和证件号码")),
            ("reveal_personal_data", _("逐项显示被遮盖的个人信息（留痕）")),
            ("manage_personal_data", _("处理个人信息请求（查阅复制、删除）和查看访问记录")),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"


class LossReason(models.Model):
    """Why customers leave; a configurable list [003]."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("流失原因")
        verbose_name_plural = _("流失原因")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class WinBackFollowUp(models.Model):
    """One attempt to win a lost customer back."""

    class Outcome(models.TextChoices):
        NO_ANSWER = "no_answer", _("未接通")
        REFUSED = "refused", _("拒绝")
        INTERESTED = "interested", _("有意向")
        WON_BACK = "won_back", _("已挽回")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="win_backs"
    )
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("记录"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("跟进人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("挽回跟进")
        verbose_name_plural = _("挽回跟进")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.get_outcome_display()}"


class Transaction(models.Model):
    """A purchase or order: behavioural information that feeds tiers and RFM."""

    class State(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("待付款")
        PAID = "paid", _("已付款")
        SHIPPED = "shipped", _("已发货")
        COMPLETED = "completed", _("已完成")
        CLOSED = "closed", _("已关闭")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="transactions"
    )
    occurred_at = models.DateTimeField(_("交易时间"), db_index=True)
    product = models.CharField(_("产品"), max_length=100)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    profit = models.DecimalField(_("利润"), max_digits=14, decimal_places=2, default=0)
    channel = models.CharField(_("渠道"), max_length=32, blank=True)
    state = models.CharField(
        _("订单状态"), max_length=20, choices=State.choices, default=State.COMPLETED
    )
    external_id = models.CharField(_("外部编号"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    # Orders that never went through bring no value.
    COUNTED_STATES = (State.PAID, State.SHIPPED, State.COMPLETED)

    class Meta:
        verbose_name = _("交易")
        verbose_name_plural = _("交易")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.customer.number} {self.product} {self.amount}"


class TierChange(models.Model):
    """Tier history: from `effective_at` on, the customer was in `tier`."""

    class Source(models.TextChoices):
        INITIAL = "initial", _("建档")
        RECOMPUTE = "recompute", _("定期评级")
        MANUAL = "manual", _("人工调整")
        OVERRIDE_EXPIRED = "override_expired", _("人工调整到期")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    tier = models.CharField(_("价值等级"), max_length=1, choices=Tier.choices)
    effective_at = models.DateTimeField(_("生效时间"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("等级变化")
        verbose_name_plural = _("等级变化")
        ordering = ["effective_at", "id"]
        indexes = [models.Index(fields=["customer", "effective_at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.tier} @ {self.effective_at:%Y-%m-%d}"


class TierOverride(models.Model):
    """A manual tier that wins over recomputation until it expires."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="tier_overrides"
    )
    tier = models.CharField(_("价值等级"), max_length=1, choices=Tier.choices)
    reason = models.CharField(_("原因"), max_length=200)
    expires_at = models.DateTimeField(_("到期时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人工等级")
        verbose_name_plural = _("人工等级")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.customer_id} = {self.tier} until {self.expires_at:%Y-%m-%d}"


class TierPolicy(models.Model):
    """Service settings per tier: visit standard [000], routing priority, SLA policy."""

    tier = models.CharField(_("价值等级"), max_length=1, choices=Tier.choices, unique=True)
    annual_visits = models.PositiveSmallIntegerField(_("年度回访标准（次）"))
    routing_priority = models.PositiveSmallIntegerField(
        _("路由优先级"), help_text=_("数字越大越优先")
    )
    sla_policy = models.CharField(_("服务标准（SLA）"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("等级服务设置")
        verbose_name_plural = _("等级服务设置")
        ordering = ["tier"]

    def __str__(self) -> str:
        return self.tier


class TierRule(models.Model):
    """How tiers are computed; one row (pk=1)."""

    class Basis(models.TextChoices):
        PROFIT = "profit", _("利润")
        REVENUE = "revenue", _("收入")

    class Method(models.TextChoices):
        CUSTOMER_SHARE = "customer_share", _("按客户数比例（帕累托）")
        VALUE_SHARE = "value_share", _("按累计价值比例")

    basis = models.CharField(_("依据"), max_length=16, choices=Basis.choices, default=Basis.PROFIT)
    method = models.CharField(
        _("方法"), max_length=16, choices=Method.choices, default=Method.CUSTOMER_SHARE
    )
    window_months = models.PositiveSmallIntegerField(_("统计窗口（月）"), default=12)
    share_a = models.PositiveSmallIntegerField(_("A 类比例 %"), default=10)
    share_b = models.PositiveSmallIntegerField(_("B 类比例 %"), default=20)
    share_c = models.PositiveSmallIntegerField(_("C 类比例 %"), default=30)
    loss_risk_days = models.PositiveSmallIntegerField(_("无交易天数视为流失风险"), default=180)

    class Meta:
        verbose_name = _("评级规则")
        verbose_name_plural = _("评级规则")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.share_a}/{self.share_b}/{self.share_c}"

    @classmethod
    def current(cls) -> "TierRule":
        rule, _created = cls.objects.get_or_create(pk=1)
        return rule


class TagSource(models.TextChoices):
    MANUAL = "manual", _("手工标签")
    RULE = "rule", _("规则标签")
    STATISTICAL = "statistical", _("统计标签")
    MINED = "mined", _("挖掘标签")


class Tag(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    source = models.CharField(
        _("来源"), max_length=16, choices=TagSource.choices, default=TagSource.MANUAL
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("标签")
        verbose_name_plural = _("标签")
        ordering = ["source", "name"]

    def __str__(self) -> str:
        return self.name


class CustomerTag(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="tag_links"
    )
    tag = models.ForeignKey(
        Tag, verbose_name=_("标签"), on_delete=models.CASCADE, related_name="customer_links"
    )
    weight = models.FloatField(_("权重"), default=1.0)
    # Where this customer's tag came from: a person, a rule, statistics or mining.
    source = models.CharField(_("来源"), max_length=16, choices=TagSource.choices)
    explanation = models.CharField(_("依据"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(_("打标时间"), auto_now=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="uniq_customer_tag")
        ]
        indexes = [models.Index(fields=["tag", "customer"])]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tag_id}"


class TagRule(models.Model):
    """An admin's rule: customers matching `conditions` carry `tag` (see tagging.py)."""

    class Match(models.TextChoices):
        ALL = "all", _("满足全部条件")
        ANY = "any", _("满足任一条件")

    tag = models.OneToOneField(
        Tag, verbose_name=_("标签"), on_delete=models.CASCADE, related_name="rule"
    )
    match = models.CharField(_("匹配方式"), max_length=8, choices=Match.choices, default=Match.ALL)
    # [{"field": "city", "op": "eq", "value": "上海"}, ...]; validated by check_tag_rule.
    conditions = models.JSONField(_("条件"), default=list)
    weight = models.FloatField(_("权重"), default=1.0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("标签规则")
        verbose_name_plural = _("标签规则")

    def __str__(self) -> str:
        return f"{self.tag}: {self.conditions}"


class CustomerRFM(models.Model):
    """Latest RFM statistics of a customer; scores 1–5 (5 = most recent / frequent / valuable)."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="rfm"
    )
    recency_days = models.PositiveIntegerField(_("最近一次购买距今（天）"))
    frequency = models.PositiveIntegerField(_("购买次数"))
    monetary = models.DecimalField(_("消费金额"), max_digits=16, decimal_places=2)
    r_score = models.PositiveSmallIntegerField("R")
    f_score = models.PositiveSmallIntegerField("F")
    m_score = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("RFM 分群"), max_length=16)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("RFM 指标")
        verbose_name_plural = _("RFM 指标")

    def __str__(self) -> str:
        return f"{self.customer_id} R{self.r_score}F{self.f_score}M{self.m_score}"


class CustomerMerge(models.Model):
    """A record of one merge: which duplicate went into which survivor, and what moved."""

    survivor = models.ForeignKey(
        Customer, verbose_name=_("保留客户"), on_delete=models.PROTECT, related_name="+"
    )
    duplicate = models.ForeignKey(
        Customer, verbose_name=_("被合并客户"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.JSONField(_("合并内容"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户合并记录")
        verbose_name_plural = _("客户合并记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.duplicate_id} → {self.survivor_id}"


class ImportJob(models.Model):
    """A file import run by the worker, so large files do not hold up a web request."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("客户")
        TRANSACTIONS = "transactions", _("交易")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=200)
    stored_path = models.CharField(max_length=500, editable=False)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    dry_run = models.BooleanField(_("只检查不导入"), default=False)
    skip_bad = models.BooleanField(_("跳过错误行"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    report = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # A running job's worker touches this every half minute; a job whose heartbeat is
    # stale was interrupted (worker killed or stopped) and is run again or failed.
    heartbeat_at = models.DateTimeField(_("心跳时间"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0, editable=False)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def labelled_report(self) -> dict:
        """The report with its labels in the reader's language: the file's encoding and
        each bad row's column by the name a person knows (codes stay beside them)."""
        # Imported here: customers.importing imports this module (a cycle).
        from .importing import ENCODING_LABELS, column_label

        report = dict(self.report or {})
        if "errors" not in report:
            return report
        model = Customer if self.kind == self.Kind.CUSTOMERS else Transaction
        report["encoding_label"] = str(ENCODING_LABELS.get(report.get("encoding", ""), ""))
        report["errors"] = [
            {**error, "field_label": column_label(model, error["field"]) if error["field"] else ""}
            for error in report["errors"]
        ]
        return report


class PersonalDataAccess(models.Model):
    """Who saw, revealed, exported, deleted or anonymised a customer's personal data (PIPL)."""

    class Action(models.TextChoices):
        VIEW = "view", _("查看")
        REVEAL = "reveal", _("显示")
        EXPORT = "export", _("导出")
        DELETE = "delete", _("删除（应客户请求）")
        ANONYMISE = "anonymise", _("匿名化（保存期限到期）")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Empty for a bulk export of many customers (the count is in `detail`).
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    fields = models.JSONField(_("字段"), default=list, blank=True)
    # Where it happened ("customer_page", "api", "cli", "retention") and what it covered.
    channel = models.CharField(_("途径"), max_length=32, blank=True)
    detail = models.JSONField(_("说明"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = _("个人信息访问记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.action} {self.customer_id} {self.fields}"
