from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.sla.clock import sla_summary

register = template.Library()

STATE_LABELS = {
    "on_track": gettext_lazy("正常"),
    "at_risk": gettext_lazy("即将超时"),
    "breached": gettext_lazy("已超时"),
    "met": gettext_lazy("已达标"),
}


@register.filter
def sla_of(ticket):
    """The ticket's SLA summary (see sla.clock.sla_summary), or None."""
    return sla_summary(getattr(ticket, "sla", None))


@register.filter
def sla_state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@register.filter
def business_duration(seconds) -> str:
    """4 小时 30 分 (working time); negative values read as overdue."""
    if seconds is None:
        return ""
    minutes = abs(int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    text = (
        _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
        if hours
        else _("%(m)d 分") % {"m": minutes}
    )
    return _("超时 %(t)s") % {"t": text} if seconds < 0 else _("剩余 %(t)s") % {"t": text}
