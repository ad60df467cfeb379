import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from huitou.accounts.tests.factories import DepartmentFactory, UserFactory
from huitou.complaints.analysis import complaint_analysis
from huitou.complaints.models import Complaint, RecoveryAction
from huitou.core.periods import Period

from .factories import make_complaint

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def dataset():
    """Four complaints in 2–15 November 2026 and one before; numbers worked out by hand."""
    agent = UserFactory(role="agent")
    aftersales, logistics = DepartmentFactory(name="售后服务部"), DepartmentFactory(name="物流部")
    rows = [
        dict(received_at=at(11, 2, 10), cause="product_quality", product="空调",
             behaviour="passive", first_contact_resolution=True, state="closed",
             closed_at=at(11, 2, 10, 30)),
        dict(received_at=at(11, 3, 9), cause="product_quality", product="空调",
             severity="serious", behaviour="anger", department=aftersales, state="closed",
             first_dispatched_at=at(11, 3, 11), dispatched_at=at(11, 3, 11),
             dispatch_due_at=at(11, 4, 9), result_at=at(11, 4, 11), dispatch_overdue=True,
             closed_at=at(11, 5, 9), reopen_count=1, recovery_satisfaction=4, is_major=True),
        dict(received_at=at(11, 10, 8), cause="delivery", product="冰箱", severity="major",
             department=logistics, state="closed", first_dispatched_at=at(11, 10, 12),
             dispatched_at=at(11, 10, 12), dispatch_due_at=at(11, 11, 12),
             result_at=at(11, 10, 18), closed_at=at(11, 12, 8), recovery_satisfaction=2),
        dict(received_at=at(11, 11, 8), department=logistics, state="dispatched",
             first_dispatched_at=at(11, 11, 14), dispatched_at=at(11, 11, 14),
             dispatch_due_at=at(11, 11, 20)),
        dict(received_at=at(10, 20, 8), cause="price", product="洗衣机",
             first_contact_resolution=True, state="closed", closed_at=at(10, 20, 9)),
    ]  # fmt: skip
    complaints = []
    for row in rows:
        complaint = make_complaint(actor=agent)
        Complaint.objects.filter(pk=complaint.pk).update(**row)
        complaints.append(complaint)
    for complaint, kind, amount in [
        (complaints[1], "refund", "300"),
        (complaints[1], "gift", "50"),
        (complaints[2], "compensation", "100"),
        (complaints[4], "refund", "999"),  # outside the period
    ]:
        RecoveryAction.objects.create(
            complaint=complaint, kind=kind, amount=Decimal(amount), actor=agent
        )
    return complaints


def counts(rows) -> dict[str, int]:
    return {row["label"]: row["count"] for row in rows}


def test_analysis_figures_match_the_hand_computed_numbers(dataset):
    supervisor = UserFactory(role="supervisor")
    result = complaint_analysis(
        user=supervisor, period=Period(date(2026, 11, 2), date(2026, 11, 15))
    )

    assert result["total"] == 4
    assert result["major"] == 1
    assert counts(result["by_cause"]) == {"产品质量": 2, "物流": 1, "未分类": 1}
    assert counts(result["by_product"]) == {"空调": 2, "冰箱": 1, "未填写": 1}
    assert counts(result["by_department"]) == {"物流部": 2, "售后服务部": 1, "未派单": 1}
    assert counts(result["by_severity"]) == {"一般": 2, "严重": 1, "重大": 1}
    assert counts(result["by_behaviour"]) == {"消极抱怨": 1, "愤怒发泄": 1, "未判断": 2}
    assert result["trend"] == [
        {"week": "2026-11-02", "count": 2},
        {"week": "2026-11-09", "count": 2},
    ]
    assert result["first_contact_resolution_rate"] == 0.25
    assert result["dispatched"] == 3
    assert result["avg_hours_to_dispatch"] == 4.0  # (2 + 4 + 6) / 3
    assert result["avg_hours_to_result"] == 15.0  # (24 + 6) / 2
    assert result["avg_hours_to_close"] == 32.17  # (0.5 + 48 + 48) / 3
    assert result["overdue_dispatches"] == 2  # one late result, one still open past due
    assert result["reopen_rate"] == 0.25
    assert result["recovery_cost"] == Decimal("450.00")
    assert result["satisfaction_after_recovery"] == 3.0
    assert result["satisfaction_responses"] == 2


def test_analysis_api_and_csv_export(dataset, api_as, client):
    supervisor = UserFactory(role="supervisor")
    body = (
        api_as(supervisor).get("complaints/analysis", start="2026-11-02", end="2026-11-15").json()
    )
    assert body["total"] == 4 and body["reopen_rate"] == 0.25
    bad = api_as(supervisor).get("complaints/analysis", start="2026-11-15", end="2026-11-02")
    assert bad.status_code == 422
    assert api_as(UserFactory(role="agent")).get("complaints/analysis").status_code == 403

    client.force_login(supervisor)
    page = client.get("/complaints/analysis/", {"start": "2026-11-02", "end": "2026-11-15"})
    assert page.status_code == 200 and 'id="chart-by_cause"' in page.content.decode()
    response = client.get(
        "/complaints/analysis/", {"start": "2026-11-02", "end": "2026-11-15", "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert figures["投诉总数"] == "4"
    assert figures["服务补救成本（元）"] == "450.00"
    assert figures["首次接触解决率"] == "0.25"
    assert figures["空调"] == "2"


def test_agents_cannot_open_the_analysis_page(client):
    client.force_login(UserFactory(role="agent"))
    assert client.get("/complaints/analysis/").status_code == 403
