"""The QA figures the quality-evaluation report takes from quality (registered measures)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from huitou.quality.measures import inspection_measures, mystery_measures
from huitou.surveys.evaluation_measures import registered_inputs

from .helpers import scored

pytestmark = pytest.mark.django_db


def test_the_report_gets_the_average_qa_score_and_the_fatal_share():
    scored("pass")  # 100
    scored("fail")  # a critical item failed: 0
    now = timezone.now()
    rows = {
        row["key"]: row
        for row in inspection_measures(
            start=now - timedelta(days=1), end=now + timedelta(minutes=1)
        )
    }
    assert rows["qa_score"]["value"] == 50.0 and rows["qa_score"]["n"] == 2
    assert rows["qa_fatal"]["value"] == 0.5
    assert mystery_measures(start=now - timedelta(days=1), end=now)[0]["n"] == 0
    assert {"phone_tracking", "mystery_shopper"} <= registered_inputs()
