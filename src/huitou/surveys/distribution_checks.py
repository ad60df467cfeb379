"""Checking a distribution's fields (调查发放): the questionnaire published, the segment's
conditions, sample share, channels, quota, dates, reminders; and the ready-made presets."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.core.errors import ConflictError, DomainError, check_text
from huitou.customers.models import Stage, Tag, Tier

from .models import Distribution, Purpose, Questionnaire

Audience = Distribution.Audience
State = Distribution.State
CHANNELS = ("email", "sms", "link")
SEGMENT_KEYS = ("tier", "tag", "stage", "last_contact_days")
FIELDS = (
    "questionnaire", "name", "audience", "segment", "sample_percent", "channels", "quota",
    "opens_at", "closes_at", "remind_after_days", "max_reminders", "in_portal",
)  # fmt: skip
# What may still change once a distribution is open (the sample is drawn).
OPEN_FIELDS = ("name", "closes_at", "quota", "remind_after_days", "max_reminders", "in_portal")

# Ready-made distributions [000, 002]: lost customers, long silent ones, the key segment,
# exit surveys just after a customer left, anonymous comment cards.
PRESETS: dict[str, dict[str, Any]] = {
    "lost": {
        "name": gettext_lazy("流失客户调查"),
        "purpose": Purpose.LOST,
        "audience": Audience.SEGMENT,
        "segment": {"stage": [Stage.LOST.value]},
        "channels": ["email", "sms"],
    },
    "silent": {
        "name": gettext_lazy("久未联系客户调查"),
        "purpose": Purpose.LOST,
        "audience": Audience.SEGMENT,
        "segment": {"stage": [Stage.CURRENT.value], "last_contact_days": {"min": 180}},
        "channels": ["email", "sms"],
    },
    "key": {
        "name": gettext_lazy("重点客户调查"),
        "purpose": Purpose.KEY,
        "audience": Audience.SEGMENT,
        "segment": {"tier": [Tier.A.value]},
        "channels": ["email"],
        "in_portal": True,
    },
    "exit": {
        "name": gettext_lazy("离开调查"),
        "purpose": Purpose.EXIT,
        "audience": Audience.SEGMENT,
        "segment": {"stage": [Stage.LOST.value], "last_contact_days": {"max": 30}},
        "channels": ["email", "sms"],
    },
    "comment_card": {
        "name": gettext_lazy("意见卡"),
        "purpose": Purpose.COMMENT_CARD,
        "audience": Audience.OPEN,
        "segment": {},
        "channels": ["link"],
        "in_portal": True,
    },
}


# --- checking --------------------------------------------------------------------------------
def _int(value, *, field: str, low: int, high: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(
            _("须为 %(low)s 到 %(high)s 的整数。") % {"low": low, "high": high}, field=field
        )
    return value


def _moment(value, *, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, datetime):
        raise DomainError(_("请填写有效的日期时间。"), field=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not 2000 <= value.year <= 2100:
        raise DomainError(_("请填写有效的日期时间。"), field=field)
    return value


def _values(raw, *, field: str, known) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise DomainError(_("须为文字列表。"), field=field)
    unknown = [v for v in raw if v not in known]
    if unknown:
        raise DomainError(_("未知的取值：%(value)s。") % {"value": unknown[0]}, field=field)
    return list(dict.fromkeys(raw))


def check_segment(raw) -> dict:
    """{tier: [...], tag: [names], stage: [...], last_contact_days: {min, max}} cleaned;
    DomainError naming segment.<key>."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise DomainError(_("客户分群须为对象。"), field="segment")
    unknown = set(raw) - set(SEGMENT_KEYS)
    if unknown:
        raise DomainError(_("未知的分群条件。"), field=f"segment.{sorted(unknown)[0]}")
    clean: dict = {}
    tiers = _values(raw.get("tier"), field="segment.tier", known=Tier.values)
    stages = _values(raw.get("stage"), field="segment.stage", known=Stage.values)
    tag_names = raw.get("tag")
    if isinstance(tag_names, list) and all(isinstance(v, str) for v in tag_names):
        known_tags = set(Tag.objects.filter(name__in=tag_names).values_list("name", flat=True))
    else:
        known_tags = set()
    tags = _values(tag_names, field="segment.tag", known=known_tags)
    for key, value in (("tier", tiers), ("stage", stages), ("tag", tags)):
        if value:
            clean[key] = value
    days = raw.get("last_contact_days")
    if days not in (None, "", {}):
        if not isinstance(days, dict) or set(days) - {"min", "max"}:
            raise DomainError(_("最近联系天数须为 {min, max}。"), field="segment.last_contact_days")
        low = _int(
            days.get("min"), field="segment.last_contact_days", low=0, high=3650, optional=True
        )
        high = _int(
            days.get("max"), field="segment.last_contact_days", low=0, high=3650, optional=True
        )
        if low is not None and high is not None and low > high:
            raise DomainError(
                _("最近联系天数的下限不能大于上限。"), field="segment.last_contact_days"
            )
        window = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
        if window:
            clean["last_contact_days"] = window
    return clean


def _questionnaire(value) -> Questionnaire:
    if isinstance(value, Questionnaire):
        value = value.pk
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(_("请选择问卷。"), field="questionnaire")
    found = Questionnaire.objects.filter(pk=value, archived=False).first()
    if found is None or found.current_version_id is None:
        raise DomainError(_("问卷不存在或尚未发布。"), field="questionnaire")
    return found


def check_distribution_fields(data: dict[str, Any], *, current: Distribution | None) -> dict:
    """The fields given, cleaned, and the whole checked together (dates, channels for the
    audience); DomainError naming the field."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    if current is not None and current.state == State.CLOSED:
        raise ConflictError(_("调查已经结束，不能再修改。"), field="state")
    if current is not None and current.state == State.OPEN:
        frozen = sorted(set(data) - set(OPEN_FIELDS))
        if frozen:
            raise ConflictError(_("调查已经开始，此项不能再修改。"), field=frozen[0])
    clean: dict[str, Any] = {}
    if "questionnaire" in data:
        clean["questionnaire"] = _questionnaire(data["questionnaire"])
    if "name" in data:
        name = data["name"].strip() if isinstance(data["name"], str) else ""
        if not name:
            raise DomainError(_("请填写名称。"), field="name")
        clean["name"] = check_text(name, field="name", max_length=200)
    if "audience" in data:
        if data["audience"] not in Audience.values:
            raise DomainError(_("未知的调查对象。"), field="audience")
        clean["audience"] = data["audience"]
    if "segment" in data:
        clean["segment"] = check_segment(data["segment"])
    if "sample_percent" in data:
        clean["sample_percent"] = _int(
            data["sample_percent"], field="sample_percent", low=1, high=100
        )
    if "channels" in data:
        clean["channels"] = _values(data["channels"], field="channels", known=CHANNELS)
    if "quota" in data:
        clean["quota"] = _int(data["quota"], field="quota", low=1, high=10_000_000, optional=True)
    for name in ("opens_at", "closes_at"):
        if name in data:
            clean[name] = _moment(data[name], field=name)
    if "remind_after_days" in data:
        clean["remind_after_days"] = _int(
            data["remind_after_days"], field="remind_after_days", low=1, high=60, optional=True
        )
    if "max_reminders" in data:
        clean["max_reminders"] = _int(data["max_reminders"], field="max_reminders", low=0, high=5)
    if "in_portal" in data:
        if not isinstance(data["in_portal"], bool):
            raise DomainError(_("须为 true 或 false。"), field="in_portal")
        clean["in_portal"] = data["in_portal"]
    _check_whole(current, clean)
    return clean


def _check_whole(current: Distribution | None, clean: dict) -> None:
    def final(name, default=None):
        if name in clean:
            return clean[name]
        return getattr(current, name) if current is not None else default

    if final("questionnaire") is None:
        raise DomainError(_("请选择问卷。"), field="questionnaire")
    if not final("name"):
        raise DomainError(_("请填写名称。"), field="name")
    opens_at, closes_at = final("opens_at"), final("closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        raise DomainError(_("截止时间须晚于开始时间。"), field="closes_at")
    audience = final("audience", Audience.SEGMENT)
    channels = final("channels", [])
    if (
        audience == Audience.SEGMENT
        and not (set(channels) & {"email", "sms"})
        and not final("in_portal", False)
    ):
        raise DomainError(_("请选择电子邮件或短信，或在客户门户展示。"), field="channels")
