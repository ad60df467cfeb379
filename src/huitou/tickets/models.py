import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from huitou.core.errors import DomainError


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    EMAIL = "email", _("邮件")
    WEB = "web", _("网页")
    CHAT = "chat", _("在线聊天")
    WECHAT = "wechat", _("微信")
    API = "api", _("API")


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("咨询")
    TECHNICAL = "technical", _("技术支持")
    ORDER = "order", _("订单")
    COMPLAINT = "complaint", _("投诉")
    SUGGESTION = "suggestion", _("建议")
    PRAISE = "praise", _("表扬")


class Priority(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("普通")
    HIGH = "high", _("高")
    URGENT = "urgent", _("紧急")


class Status(models.TextChoices):
    NEW = "new", _("新建")
    OPEN = "open", _("处理中")
    PENDING = "pending", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")


# The status groups every app uses: work still to do, and work done (answered or closed).
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Direction(models.TextChoices):
    INBOUND = "inbound", _("呼入")
    OUTBOUND = "outbound", _("呼出")


class ContactStatus(models.TextChoices):
    """Whether the contact on a self-service ticket has been proven to be the customer's."""

    STAFF = "", _("无需验证")
    UNVERIFIED = "unverified", _("未验证")
    VERIFIED = "verified", _("已验证")


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Ticket(models.Model):
    number = models.CharField(_("工单号"), max_length=16, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("客户"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    type = models.CharField(_("类型"), max_length=16, choices=TicketType.choices)
    direction = models.CharField(
        _("呼入/呼出"), max_length=16, choices=Direction.choices, default=Direction.INBOUND
    )
    subject = models.CharField(_("主题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    # A contact typed on the portal proves nothing: until the customer enters a code sent to
    # it, the ticket stays with a visitor record and never reaches the matching customer.
    contact_status = models.CharField(
        _("联系方式验证"),
        max_length=16,
        choices=ContactStatus.choices,
        blank=True,
        default=ContactStatus.STAFF,
    )
    contact_verified_at = models.DateTimeField(_("联系方式验证时间"), null=True, blank=True)
    priority = models.CharField(
        _("优先级"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    queue = models.ForeignKey(
        "sla.Queue",
        verbose_name=_("队列"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_tickets", _("可查看所有部门的工单")),
            ("assign_ticket", _("可把工单分配给任何人")),
            ("dispatch_ticket", _("可改派责任部门")),
            ("reply_to_customer", _("可公开回复客户")),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["department", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in DONE_STATUSES


class Message(models.Model):
    """One entry in a ticket's thread: a public reply to the customer or an internal note."""

    class Sender(models.TextChoices):
        STAFF = "staff", _("客服")
        CUSTOMER = "customer", _("客户")
        SYSTEM = "system", _("系统")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sender = models.CharField(
        _("发送方"), max_length=16, choices=Sender.choices, default=Sender.STAFF
    )
    public = models.BooleanField(_("公开回复"), default=True)
    body = models.TextField(_("内容"))
    # What came in whole (an e-mail with its quoted history and signature), when `body`
    # shows only the new part; blank when they are the same.
    original_body = models.TextField(_("原文"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.body[:30]}"


class PhraseCategory(models.TextChoices):
    """The ten kinds of service phrases (服务标准用语) [003]."""

    GREETING = "greeting", _("问候")
    WELCOME = "welcome", _("迎送")
    REQUEST = "request", _("请托")
    THANKS = "thanks", _("致谢")
    INQUIRY = "inquiry", _("征询")
    ANSWER = "answer", _("应答")
    PRAISE = "praise", _("赞赏")
    CONGRATULATION = "congratulation", _("祝贺")
    DECLINING = "declining", _("推脱")
    APOLOGY = "apology", _("道歉")


class StandardPhrase(models.Model):
    """A canned reply. {客户称呼}, {工单号} and {承诺日期} are filled in from the ticket."""

    category = models.CharField(_("类别"), max_length=16, choices=PhraseCategory.choices)
    title = models.CharField(_("标题"), max_length=50)
    body = models.TextField(_("内容"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("标准用语")
        verbose_name_plural = _("标准用语")
        ordering = ["category", "order", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.title}"


class ForbiddenPhrase(models.Model):
    """A service taboo (服务忌语) [000, 003]: replies containing it are warned about and counted."""

    class Kind(models.TextChoices):
        CONTEMPT = "contempt", _("蔑视")
        IMPATIENCE = "impatience", _("烦躁")
        NEGATION = "negation", _("否定")
        PROVOCATION = "provocation", _("斗气")

    phrase = models.CharField(_("忌语"), max_length=100, unique=True)
    # A pattern catches the everyday variants of one taboo (不归(我们|我)管).
    is_pattern = models.BooleanField(
        _("正则表达式"),
        default=False,
        help_text=_(
            "勾选后“忌语”按正则表达式匹配，如 不归(我们|我)管。与普通忌语一样，"
            "比较前回复会统一全角半角、繁体转简体并去掉空格和标点，所以表达式里不要写标点；"
            "只能使用有上限的重复（?、{0,3}），不能用 *、+。"
        ),
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    suggestion = models.CharField(_("建议说法"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务忌语")
        verbose_name_plural = _("服务忌语")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.phrase

    def clean(self) -> None:
        # Imported here: tickets.phrases imports this module (a cycle).
        from .phrases import check_forbidden_phrase

        try:
            self.phrase = check_forbidden_phrase(phrase=self.phrase, is_pattern=self.is_pattern)
        except DomainError as error:
            raise ValidationError(
                {"phrase": ValidationError(error.message, code=error.code)}
            ) from None


class ForbiddenPhraseUse(models.Model):
    """A reply sent although it contained a forbidden phrase: the agent was warned and went on."""

    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="forbidden_uses"
    )
    phrase = models.ForeignKey(
        ForbiddenPhrase, verbose_name=_("忌语"), on_delete=models.PROTECT, related_name="uses"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("坐席"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("忌语使用记录")
        verbose_name_plural = _("忌语使用记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.phrase}"


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # Stored under a random name: the customer's file name is kept in `name`, never in a path.
    return f"attachments/{attachment.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file that came with a message (an e-mail attachment or inline image, a portal
    upload) or goes out with a reply."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="attachments"
    )
    # None: it came with the ticket's first request (its description).
    message = models.ForeignKey(
        Message,
        verbose_name=_("消息"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("大小"))
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=255)
    inline = models.BooleanField(_("内嵌图片"), default=False)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
