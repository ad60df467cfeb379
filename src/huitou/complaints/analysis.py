"""Complaint analysis (投诉分析) for supervisors and the service-supervision department."""

import csv
import io
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huitou.core.periods import Period
from huitou.core.permissions import check_permission
from huitou.core.spreadsheet import safe_row

from .models import (
    Behaviour,
    Cause,
    Complaint,
    ComplaintStep,
    RecoveryAction,
    Severity,
    State,
    Step,
)

OPEN_DISPATCH = (State.DISPATCHED, State.ACCEPTED)
CENT = Decimal("0.01")


def _hours(deltas: list[timedelta]) -> float | None:
    if not deltas:
        return None
    return round(sum(delta.total_seconds() for delta in deltas) / len(deltas) / 3600, 2)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _breakdown(counter: Counter, labels: dict[str, str], empty_label: str) -> list[dict]:
    rows = [
        {"code": code, "label": labels.get(code, code) if code else empty_label, "count": count}
        for code, count in counter.items()
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["label"]))


def complaint_analysis(*, user, period: Period) -> dict:
    """Every figure of the analysis page for complaints received in `period`."""
    check_permission(user, "complaints.view_complaint_analysis")
    complaints = Complaint.objects.filter(
        received_at__gte=period.start_at, received_at__lt=period.end_at
    )
    rows = list(
        complaints.annotate(
            went_overdue=Exists(
                ComplaintStep.objects.filter(complaint=OuterRef("pk"), step=Step.OVERDUE)
            )
        ).values(
            "pk",
            "state",
            "severity",
            "behaviour",
            "cause",
            "product",
            "department__name",
            "first_contact_resolution",
            "reopen_count",
            "is_major",
            "dispatch_overdue",
            "dispatch_due_at",
            "received_at",
            "first_dispatched_at",
            "dispatched_at",
            "result_at",
            "closed_at",
            "recovery_satisfaction",
        )
    )
    now = timezone.now()
    total = len(rows)
    overdue = [
        row
        for row in rows
        if row["dispatch_overdue"]
        or (
            row["state"] in OPEN_DISPATCH
            and row["dispatch_due_at"]
            and row["dispatch_due_at"] < now
        )
    ]
    weeks: Counter = Counter()
    for row in rows:
        day = timezone.localtime(row["received_at"]).date()
        weeks[day - timedelta(days=day.weekday())] += 1
    week = period.start - timedelta(days=period.start.weekday())
    trend = []
    while week <= period.end:
        trend.append({"week": week.isoformat(), "count": weeks.get(week, 0)})
        week += timedelta(days=7)
    recoveries = RecoveryAction.objects.filter(complaint__in=complaints)
    cost_by_kind = {
        row["kind"]: Decimal(row["total"]).quantize(CENT)
        for row in recoveries.values("kind").annotate(total=Sum("amount")).order_by("kind")
    }
    satisfaction = [row["recovery_satisfaction"] for row in rows if row["recovery_satisfaction"]]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "total": total,
        "major": sum(1 for row in rows if row["is_major"]),
        "by_cause": _breakdown(
            Counter(row["cause"] for row in rows), dict(Cause.choices), _("未分类")
        ),
        "by_product": _breakdown(Counter(row["product"] for row in rows), {}, _("未填写")),
        "by_department": _breakdown(
            Counter(row["department__name"] or "" for row in rows), {}, _("未派单")
        ),
        "by_severity": _breakdown(
            Counter(row["severity"] for row in rows), dict(Severity.choices), _("未定级")
        ),
        "by_behaviour": _breakdown(
            Counter(row["behaviour"] for row in rows), dict(Behaviour.choices), _("未判断")
        ),
        "trend": trend,
        "first_contact_resolution": sum(1 for row in rows if row["first_contact_resolution"]),
        "first_contact_resolution_rate": _rate(
            sum(1 for row in rows if row["first_contact_resolution"]), total
        ),
        "avg_hours_to_dispatch": _hours(
            [
                row["first_dispatched_at"] - row["received_at"]
                for row in rows
                if row["first_dispatched_at"]
            ]
        ),
        "avg_hours_to_result": _hours(
            [
                row["result_at"] - row["dispatched_at"]
                for row in rows
                if row["result_at"] and row["dispatched_at"]
            ]
        ),
        "avg_hours_to_close": _hours(
            [row["closed_at"] - row["received_at"] for row in rows if row["closed_at"]]
        ),
        "dispatched": sum(1 for row in rows if row["first_dispatched_at"]),
        "overdue_dispatches": len(overdue),
        "reopened": sum(1 for row in rows if row["reopen_count"]),
        "reopen_rate": _rate(sum(1 for row in rows if row["reopen_count"]), total),
        "recovery_cost": sum(cost_by_kind.values(), Decimal("0")).quantize(CENT),
        "recovery_cost_by_kind": [
            {"code": kind, "label": RecoveryAction.Kind(kind).label, "amount": amount}
            for kind, amount in cost_by_kind.items()
        ],
        "satisfaction_after_recovery": (
            round(sum(satisfaction) / len(satisfaction), 2) if satisfaction else None
        ),
        "satisfaction_responses": len(satisfaction),
    }


def analysis_csv(analysis: dict) -> str:
    """The figures as CSV (UTF-8 with BOM, so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(safe_row([_("指标"), _("值")]))
    period = analysis["period"]
    writer.writerow(safe_row([_("统计期间"), f"{period['start']} ~ {period['end']}"]))
    for key, label in METRIC_LABELS:
        value = analysis[key]
        writer.writerow(safe_row([label, "" if value is None else value]))
    for key, label in BREAKDOWN_LABELS:
        writer.writerow([])
        writer.writerow(safe_row([label, _("投诉数")]))
        for row in analysis[key]:
            writer.writerow(safe_row([row["label"], row["count"]]))
    writer.writerow([])
    writer.writerow(safe_row([_("周（周一）"), _("投诉数")]))
    for row in analysis["trend"]:
        writer.writerow(safe_row([row["week"], row["count"]]))
    writer.writerow([])
    writer.writerow(safe_row([_("补救方式"), _("成本（元）")]))
    for row in analysis["recovery_cost_by_kind"]:
        writer.writerow(safe_row([row["label"], row["amount"]]))
    return out.getvalue()


METRIC_LABELS = [
    ("total", gettext_lazy("投诉总数")),
    ("major", gettext_lazy("重大投诉")),
    ("first_contact_resolution", gettext_lazy("首次接触解决数")),
    ("first_contact_resolution_rate", gettext_lazy("首次接触解决率")),
    ("dispatched", gettext_lazy("派单数")),
    ("avg_hours_to_dispatch", gettext_lazy("平均派单用时（小时）")),
    ("avg_hours_to_result", gettext_lazy("平均部门处理用时（小时）")),
    ("avg_hours_to_close", gettext_lazy("平均结案用时（小时）")),
    ("overdue_dispatches", gettext_lazy("逾期派单")),
    ("reopened", gettext_lazy("重开投诉数")),
    ("reopen_rate", gettext_lazy("重开率")),
    ("recovery_cost", gettext_lazy("服务补救成本（元）")),
    ("satisfaction_after_recovery", gettext_lazy("补救后满意度（1–5）")),
    ("satisfaction_responses", gettext_lazy("回访有效样本")),
]
BREAKDOWN_LABELS = [
    ("by_cause", gettext_lazy("按原因")),
    ("by_product", gettext_lazy("按产品")),
    ("by_department", gettext_lazy("按责任部门")),
    ("by_severity", gettext_lazy("按严重程度")),
    ("by_behaviour", gettext_lazy("按投诉行为")),
]
