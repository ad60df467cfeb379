"""Configuring the rating after a contact: the rules per channel and tier, and the wording
(SatisfactionSettings). Staff with surveys.manage_surveys; the Django admin uses these too."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huitou.core.audit import do_audit_record
from huitou.core.errors import ConflictError, DomainError
from huitou.core.permissions import check_permission
from huitou.customers.models import Tier
from huitou.tickets.models import Channel

from .models import Questionnaire, SatisfactionRule, SatisfactionSettings
from .rating import rating_settings

RULE_FIELDS = (
    "channel", "tier", "enabled", "delay_minutes", "sample_percent", "cooldown_days",
    "questionnaire",
)  # fmt: skip
LIMITS = {"delay_minutes": (0, 60 * 24 * 14), "sample_percent": (0, 100), "cooldown_days": (0, 365)}


def _whole(value, field: str) -> int:
    low, high = LIMITS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(
            _("须为 %(low)s 到 %(high)s 的整数。") % {"low": low, "high": high}, field=field
        )
    return value


def check_rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    clean: dict[str, Any] = {}
    if "channel" in data:
        if data["channel"] not in ("", *Channel.values):
            raise DomainError(_("渠道不存在。"), field="channel")
        clean["channel"] = data["channel"]
    if "tier" in data:
        if data["tier"] not in ("", *Tier.values):
            raise DomainError(_("价值等级不存在。"), field="tier")
        clean["tier"] = data["tier"]
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise DomainError(_("须为 true 或 false。"), field="enabled")
        clean["enabled"] = data["enabled"]
    for field in LIMITS:
        if field in data:
            clean[field] = _whole(data[field], field)
    if "questionnaire" in data:
        value = data["questionnaire"]
        if value is None:
            clean["questionnaire"] = None
        else:
            found = Questionnaire.objects.filter(pk=value, archived=False).first()
            if found is None or found.current_version_id is None:
                raise DomainError(_("问卷不存在或尚未发布。"), field="questionnaire")
            clean["questionnaire"] = found
    return clean


@transaction.atomic
def do_rule_save(*, actor, data: dict[str, Any], rule_id: int | None = None) -> SatisfactionRule:
    check_permission(actor, "surveys.manage_surveys")
    clean = check_rule_fields(data)
    if rule_id is None:
        rule = SatisfactionRule(**clean)
    else:
        rule = SatisfactionRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise DomainError(_("规则不存在。"), field="rule")
        for name, value in clean.items():
            setattr(rule, name, value)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ConflictError(_("该渠道和价值等级已有规则。"), field="channel") from None
    do_audit_record(obj=rule, actor=actor, action="saved")
    return rule


@transaction.atomic
def do_rule_delete(*, actor, rule_id: int) -> None:
    check_permission(actor, "surveys.manage_surveys")
    deleted, _by_model = SatisfactionRule.objects.filter(pk=rule_id).delete()
    if not deleted:
        raise DomainError(_("规则不存在。"), field="rule")


def _labels(value, field: str) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) != 5
        or not all(isinstance(label, str) and 0 < len(label.strip()) <= 20 for label in value)
    ):
        raise DomainError(_("须为五个评价等级的名称（从最好到最差）。"), field=field)
    return [label.strip() for label in value]


def _reasons(value) -> list[dict]:
    if not isinstance(value, list) or not 1 <= len(value) <= 12:
        raise DomainError(_("须为 1 到 12 个原因。"), field="reasons")
    seen, clean = set(), []
    for item in value:
        if not isinstance(item, dict) or not str(item.get("value", "")).strip():
            raise DomainError(_("每个原因须有 value 和 label。"), field="reasons")
        code = str(item["value"]).strip()[:32]
        label = str(item.get("label", "")).strip()
        if not label or code in seen:
            raise DomainError(_("每个原因须有 value 和 label，value 不能重复。"), field="reasons")
        seen.add(code)
        clean.append(
            {"value": code, "label": label[:60], "label_en": str(item.get("label_en", ""))[:60]}
        )
    return clean


SETTINGS_INTS = {"low_at_most": (1, 4), "link_days": (1, 90), "change_days": (0, 30)}


@transaction.atomic
def do_rating_settings_update(*, actor, data: dict[str, Any]) -> SatisfactionSettings:
    check_permission(actor, "surveys.manage_surveys")
    config = SatisfactionSettings.objects.select_for_update().get(pk=rating_settings().pk)
    known = {"labels", "labels_en", "reasons", *SETTINGS_INTS}
    unknown = set(data) - known
    if unknown:
        raise DomainError(_("未知字段。"), field=sorted(unknown)[0])
    if "labels" in data:
        config.labels = _labels(data["labels"], "labels")
    if "labels_en" in data:
        config.labels_en = _labels(data["labels_en"], "labels_en")
    if "reasons" in data:
        config.reasons = _reasons(data["reasons"])
    for field, (low, high) in SETTINGS_INTS.items():
        if field in data:
            value = data[field]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise DomainError(
                    _("须为 %(low)s 到 %(high)s 的整数。") % {"low": low, "high": high},
                    field=field,
                )
            setattr(config, field, value)
    config.save()
    do_audit_record(obj=config, actor=actor, action="saved")
    return config
