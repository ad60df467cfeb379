import pytest

from huitou.quality.defaults import GENERAL, PHONE, ensure_quality_defaults
from huitou.quality.models import Scorecard
from huitou.quality.services import scorecard_for
from huitou.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_the_shipped_scorecards_are_made_once():
    ensure_quality_defaults()
    ensure_quality_defaults()
    cards = {card.builtin: card for card in Scorecard.objects.exclude(builtin="")}
    assert set(cards) == {"general", "phone"}
    general = list(cards["general"].items.values_list("key", flat=True))
    assert general == [key for key, *_rest in GENERAL]
    phone = cards["phone"].items
    assert {"repeat_back", "hold_reason", "definite_time", "thanks"} <= set(
        phone.values_list("key", flat=True)
    )
    assert len(PHONE) == phone.count()
    assert set(phone.filter(critical=True).values_list("key", flat=True)) == {
        "forbidden",
        "accuracy",
    }


def test_a_phone_conversation_gets_the_phone_etiquette_scorecard():
    ensure_quality_defaults()
    assert scorecard_for(Ticket(channel="phone")).builtin == "phone"
    assert scorecard_for(Ticket(channel="chat")).builtin == "general"
