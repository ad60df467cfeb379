"""The surveys panel on the ticket page: has the customer been asked, and what did they say."""

from django.utils.translation import gettext_lazy as _

from huitou.customers.page_sections import register_customer_section
from huitou.portal.sections import register_section
from huitou.tickets.panels import register_panel

from .models import Response
from .rating import Skip, rating_labels, rating_settings, reason_choices
from .selectors import pending_ratings, ticket_satisfaction

SKIP_LABELS = {
    Skip.DISABLED: _("该渠道不邀请评价"),
    Skip.SAMPLED_OUT: _("未被抽中"),
    Skip.COOLDOWN: _("该客户近期已被邀请过"),
    Skip.MERGED: _("客户档案已合并"),
    Skip.UNANSWERED: _("未答复即关闭（垃圾或重复）"),
}


def satisfaction_context(request, ticket, bound) -> dict | None:
    satisfaction = ticket_satisfaction(ticket)
    if satisfaction["state"] == "none" and not satisfaction.get("skipped"):
        return None
    config = rating_settings()
    labels = {item["value"]: item["label"] for item in rating_labels(config)}
    reasons = {item["value"]: item["label"] for item in reason_choices(config)}
    return {
        "satisfaction": satisfaction,
        "rating_label": labels.get(satisfaction["rating"]),
        "reason_label": reasons.get(satisfaction.get("reason") or ""),
        "skip_label": SKIP_LABELS.get(satisfaction.get("skipped") or "", ""),
    }


register_panel(
    name="satisfaction",
    template="surveys/_ticket_satisfaction.html",
    context=satisfaction_context,
)


def portal_ratings_context(request, scope) -> dict | None:
    if not scope.customer_ids:
        return None
    pending = pending_ratings(customer_ids=scope.customer_ids)
    return {"pending": pending} if pending else None


register_section(
    name="ratings",
    template="surveys/_portal_ratings.html",
    context=portal_ratings_context,
)


def customer_section(request, customer) -> dict:
    """The customer page's 满意度调查 card: their ratings and questionnaire answers."""
    rows = (
        Response.objects.filter(customer=customer)
        .select_related("ticket", "questionnaire")
        .order_by("-answered_at", "-pk")[:20]
    )
    config = rating_settings()
    return {
        "responses": list(rows),
        "labels": {item["value"]: item["label"] for item in rating_labels(config)},
        "reasons": {item["value"]: item["label"] for item in reason_choices(config)},
    }


register_customer_section(
    name="surveys", template="surveys/_customer_surveys.html", context=customer_section
)
