"""The knowledge base (知识库): FAQ entries the portal, the bot and the agents share."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class FaqCategory(models.Model):
    name = models.CharField(_("名称"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("顺序"), default=100)

    class Meta:
        verbose_name = _("知识分类")
        verbose_name_plural = _("知识分类")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class FaqEntry(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("自助门户")
        CHAT = "chat", _("智能客服")
        AGENT = "agent", _("坐席辅助")

    category = models.ForeignKey(
        FaqCategory, verbose_name=_("分类"), on_delete=models.PROTECT, related_name="entries"
    )
    question = models.CharField(_("标准问题"), max_length=200, unique=True)
    answer = models.TextField(_("答案"))
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    # Where it may be shown: portal, chat (the bot), agent (assist); empty means everywhere.
    channels = models.JSONField(_("可见渠道"), default=list, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    times_served = models.PositiveIntegerField(_("被使用次数"), default=0)
    helpful_votes = models.PositiveIntegerField(_("有用"), default=0)
    unhelpful_votes = models.PositiveIntegerField(_("没用"), default=0)
    handoffs = models.PositiveIntegerField(_("之后转人工"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")
        ordering = ["category__order", "id"]

    def __str__(self) -> str:
        return self.question

    def clean(self):
        unknown = sorted(set(self.channels or []) - set(self.Channel.values))
        if not isinstance(self.channels, list) or unknown:
            raise ValidationError(
                {
                    "channels": _("渠道只能是 portal、chat、agent 组成的列表：%(bad)s")
                    % {"bad": ", ".join(map(str, unknown))}
                }
            )

    def shown_on(self, channel: str | None) -> bool:
        return not channel or not self.channels or channel in self.channels


class SimilarQuestion(models.Model):
    """相似问法: another way customers ask the same thing; indexed on its own."""

    entry = models.ForeignKey(
        FaqEntry, verbose_name=_("常见问题"), on_delete=models.CASCADE, related_name="similar"
    )
    text = models.CharField(_("相似问法"), max_length=200)

    class Meta:
        verbose_name = _("相似问法")
        verbose_name_plural = _("相似问法")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text


class FaqVersion(models.Model):
    """What an entry said at each version, and who changed it."""

    entry = models.ForeignKey(
        FaqEntry, verbose_name=_("常见问题"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("版本"))
    question = models.CharField(_("标准问题"), max_length=200)
    answer = models.TextField(_("答案"))
    similar = models.JSONField(_("相似问法"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("版本记录")
        verbose_name_plural = _("版本记录")
        ordering = ["entry", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "version"], name="knowledge_one_version")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} v{self.version}"


class SynonymGroup(models.Model):
    """Words that mean the same here (邮费=运费=快递费); the first is the canonical one."""

    words = models.JSONField(_("同义词"), default=list)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词")

    def __str__(self) -> str:
        return "=".join(self.words)


class DomainWord(models.Model):
    """A word segmentation must keep whole (光猫, 携号转网)."""

    word = models.CharField(_("词"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("领域词")
        verbose_name_plural = _("领域词")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class KbRevision(models.Model):
    """One row whose number goes up on every knowledge-base change: each process compares it
    with the revision its index was built from, and rebuilds when it is behind."""

    number = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # Moves when the worker has stored embeddings an index built earlier had to go without.
    vectors_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("知识库修订号")
        verbose_name_plural = _("知识库修订号")

    def __str__(self) -> str:
        return str(self.number)


class FaqVector(models.Model):
    """A stored e5 embedding of one text, keyed by model, prefix and text: an index rebuild
    reads these instead of running the model again, and an edit embeds only what is new."""

    digest = models.CharField(max_length=64, unique=True)
    vector = models.BinaryField()  # float32 × 384
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("语义向量")
        verbose_name_plural = _("语义向量")

    def __str__(self) -> str:
        return self.digest[:12]


class BotConversation(models.Model):
    """One customer's chat with the bot; consecutive questions are kept together."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        HANDED_OFF = "handed_off", _("已转人工")

    token = models.UUIDField(_("会话标识"), unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(_("渠道"), max_length=16, default="chat")
    handoff_reason = models.CharField(_("转人工原因"), max_length=32, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True, db_index=True)
    last_at = models.DateTimeField(_("最近时间"), auto_now=True)

    class Meta:
        verbose_name = _("机器人会话")
        verbose_name_plural = _("机器人会话")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return str(self.token)


class BotTurn(models.Model):
    conversation = models.ForeignKey(
        BotConversation, verbose_name=_("会话"), on_delete=models.CASCADE, related_name="turns"
    )
    question = models.CharField(_("问题"), max_length=500)
    decision = models.CharField(_("结果"), max_length=16)  # answer | clarify | handoff
    entry = models.ForeignKey(
        FaqEntry,
        verbose_name=_("答案条目"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answer = models.TextField(_("回复"), blank=True)
    confidence = models.FloatField(_("置信度"), default=0)
    # Set once the turn is in the hand-off ticket's thread: each turn goes there once.
    in_ticket = models.BooleanField(_("已转入工单"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机器人问答")
        verbose_name_plural = _("机器人问答")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.question[:30]


class ContactCode(models.Model):
    """A one-time code sent to a portal ticket's contact (SMS or e-mail). Entering it proves
    the contact and links the ticket to that customer. Only the code's HMAC is kept."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("电子邮件")

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("工单"),
        on_delete=models.CASCADE,
        related_name="contact_codes",
    )
    channel = models.CharField(_("发送方式"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("发送到"), max_length=254)
    code_hash = models.CharField(max_length=100, editable=False)  # salt$hmac
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.channel}"


class FaqVote(models.Model):
    """One visitor's (or one bot conversation's) vote on an entry: the counters on FaqEntry
    move only when a vote is recorded here, so a voter counts once per entry."""

    entry = models.ForeignKey(
        FaqEntry, verbose_name=_("条目"), on_delete=models.CASCADE, related_name="votes"
    )
    # "client:<keyed hash of the IP address>" or "conversation:<bot conversation token>";
    # a hash, so no IP address is stored.
    voter = models.CharField(_("投票人"), max_length=64)
    helpful = models.BooleanField(_("有用"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问答投票")
        verbose_name_plural = _("问答投票")
        constraints = [
            models.UniqueConstraint(fields=["entry", "voter"], name="one_vote_per_voter_and_entry")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.voter}"
