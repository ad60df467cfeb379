"""Everything due to go out now: contact ratings (rating.py) and questionnaire invitations
and reminders (distribution.py). `huitou surveys send-due` and the worker run this."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .distribution import do_survey_invites_send_due
from .rating import do_contact_invites_send_due


@dataclass(frozen=True)
class Sent:
    ratings: int
    surveys: int


def do_invitations_send_due(*, now: datetime | None = None) -> Sent:
    now = now or timezone.now()
    return Sent(
        ratings=do_contact_invites_send_due(now=now),
        surveys=do_survey_invites_send_due(now=now),
    )
