"""Distribution of questionnaires (the distribution helper replaces this placeholder)."""

from datetime import datetime


def do_survey_invites_send_due(*, now: datetime | None = None, limit: int = 200) -> int:
    return 0
