"""The API's choice types are the models' choices: derived with choices_literal, so they
cannot drift; the few options of the API's own are declared here, and those that are a part
of a model's or a module's values are checked to stay a part of them."""

import ast
import importlib
import inspect
from pathlib import Path
from typing import get_args

from ninja import Schema

import huitou
from huitou.accounts.models import Department
from huitou.accounts.roles import Role
from huitou.complaints import models as complaints
from huitou.core.schemas import choices_literal
from huitou.customers import models as customers
from huitou.customers.personality import ListeningStyle, Personality
from huitou.customers.privacy import PERSONAL_FIELDS
from huitou.customers.qualification import NOT_A_PROSPECT, NURTURE, STRATEGIES
from huitou.quality.models import Appeal
from huitou.surveys.models import InviteState
from huitou.surveys.selectors import STATE_OF
from huitou.tickets import models as tickets

APPS = ["accounts", "tickets", "customers", "complaints", "sla", "knowledge", "mail", "core"]
ROOT = Path(huitou.__file__).parent
SOURCES = [*sorted(ROOT.glob("*/api.py")), ROOT / "core/schemas.py"]

# Options of the API's own, written as Literal[...] by hand: none copies a model's choices.
OWN_OPTIONS = {
    ("all", "mine", "unassigned", "department"): "the inbox views (tickets.selectors)",
    ("on_track", "at_risk", "breached", "met"): "a clock's state, from sla.clock.sla_summary",
    ("", "active"): "a filter's any, and every open state",
    ("",): "a filter's any",
    ("queued", "sent", "failed"): "an e-mail reply's delivery, from its outbox row (mail.outgoing)",
    ("customer", "public", "internal"): "who a message is for, in the API's words",
    ("", "ideal", "find_decider", "check_credit", "skilled_selling"): "qualification codes",
    ("none", "scheduled", "invited", "answered"): "a ticket's rating, from surveys.selectors",
    ("upheld", "overturned"): "a supervisor's decision on an appeal: Appeal.State but open",
}

# (app, schema, field) → the parts its enum is made of, in order: a model's choices, or a
# string the API adds (choices_literal's notation), or a module's own values.
QUALIFIED = [code for code, _advice in STRATEGIES.values()]
EXPECTED = {
    ("accounts", "DepartmentIn", "kind"): [Department.Kind],
    ("accounts", "DepartmentOut", "kind"): [Department.Kind],
    ("accounts", "UserIn", "role"): [Role],
    ("tickets", "TicketIn", "channel"): [tickets.Channel],
    ("tickets", "TicketIn", "type"): [tickets.TicketType],
    ("tickets", "TicketIn", "priority"): [tickets.Priority],
    ("tickets", "TicketIn", "direction"): [tickets.Direction],
    ("tickets", "TicketPatch", "status"): [tickets.Status],
    ("tickets", "TicketPatch", "priority"): [tickets.Priority],
    ("tickets", "TicketPatch", "type"): [tickets.TicketType],
    ("tickets", "SlaOut", "state"): ["on_track", "at_risk", "breached", "met"],
    ("tickets", "TicketFilters", "view"): ["all", "mine", "unassigned", "department"],
    ("tickets", "TicketFilters", "status"): [tickets.Status, "", "active"],
    ("tickets", "TicketFilters", "type"): [tickets.TicketType, ""],
    ("tickets", "TicketFilters", "priority"): [tickets.Priority, ""],
    ("tickets", "TicketFilters", "tier"): ["", customers.Tier],
    ("tickets", "TicketFilters", "channel"): [tickets.Channel, ""],
    ("tickets", "DeliveryOut", "state"): ["queued", "sent", "failed"],
    ("tickets", "MessageOut", "kind"): ["customer", "public", "internal"],
    ("tickets", "SatisfactionOut", "state"): ["none", "scheduled", "invited", "answered"],
    ("customers", "CustomerFilters", "tier"): [customers.Tier, ""],
    ("customers", "CustomerFilters", "stage"): [customers.Stage, ""],
    ("customers", "CustomerFilters", "kind"): [customers.CustomerKind, ""],
    # A part of the qualification codes: the list filters by the four prospect strategies.
    ("customers", "CustomerFilters", "qualification"): ["", *QUALIFIED],
    ("customers", "TransactionIn", "state"): [customers.Transaction.State],
    ("customers", "TierOverrideIn", "tier"): [customers.Tier],
    ("customers", "TagRuleIn", "match"): [customers.TagRule.Match],
    ("customers", "RevealIn", "fields"): list(PERSONAL_FIELDS),
    ("customers", "AccessRecordFilters", "action"): ["", customers.PersonalDataAccess.Action],
    ("sla", "PreviewQuery", "tier"): ["", customers.Tier],
    ("sla", "PreviewQuery", "type"): [tickets.TicketType],
    ("sla", "PreviewQuery", "priority"): [tickets.Priority],
    ("sla", "PreviewQuery", "channel"): [tickets.Channel],
    ("sla", "AgentStatusIn", "skills"): [tickets.TicketType],
    ("complaints", "ComplaintFilters", "state"): [complaints.State, "", "active"],
    ("complaints", "ComplaintPatch", "severity"): [complaints.Severity],
    # "" clears a classification.
    ("complaints", "ComplaintPatch", "behaviour"): [complaints.Behaviour, ""],
    ("complaints", "ComplaintPatch", "purpose"): [complaints.Purpose, ""],
    ("complaints", "ComplaintPatch", "cause"): [complaints.Cause, ""],
    ("complaints", "ComplaintPatch", "validity"): [complaints.Validity, ""],
    ("complaints", "ComplaintPatch", "reply_mode"): [complaints.ReplyMode, ""],
    ("complaints", "RecoveryIn", "kind"): [complaints.RecoveryAction.Kind],
}
for schema in ("CustomerIn", "CustomerPatch"):
    EXPECTED |= {
        ("customers", schema, "kind"): [customers.CustomerKind],
        ("customers", schema, "tier"): [customers.Tier],
        ("customers", schema, "stage"): [customers.Stage],
        ("customers", schema, "gender"): [customers.Gender],
        ("customers", schema, "personality"): [Personality],
        ("customers", schema, "listening_style"): [ListeningStyle],
    }


def _values(parts) -> list[str]:
    values: list[str] = []
    for part in parts:
        values.extend([part] if isinstance(part, str) else part.values)
    return values


def _enum(prop: dict) -> list:
    """The values a property's JSON schema allows, in order, through unions and lists."""
    values = list(prop.get("enum", []))
    if "const" in prop:
        values.append(prop["const"])
    for key in ("anyOf", "oneOf", "allOf"):
        for option in prop.get(key, []):
            values += _enum(option)
    if "items" in prop:
        values += _enum(prop["items"])
    return values


def _api_enums() -> dict[tuple[str, str, str], list]:
    found = {}
    for app in APPS:
        module = importlib.import_module(f"huitou.{app}.api")
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and issubclass(cls, Schema)):
                continue
            if cls.__module__ != module.__name__:
                continue
            for field, prop in cls.model_json_schema().get("properties", {}).items():
                if values := _enum(prop):
                    found[(app, name, field)] = values
    return found


def test_every_choice_field_of_the_api_has_the_model_choices_in_the_model_order():
    unexplained = []
    for key, values in _api_enums().items():
        if key in EXPECTED:
            assert values == _values(EXPECTED[key]), key
        else:
            unexplained.append(key)
    assert not unexplained, (
        f"add these to EXPECTED with the model choices they mirror: {unexplained}"
    )


def test_the_qualification_filter_is_a_part_of_the_qualification_codes():
    codes = {"", *QUALIFIED, NURTURE[0], NOT_A_PROSPECT[0]}
    assert set(_values(EXPECTED[("customers", "CustomerFilters", "qualification")])) <= codes


def test_no_api_literal_is_a_hand_copy_of_model_choices():
    copies = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == "Literal"):
                continue
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if not all(isinstance(item, ast.Constant) for item in items):
                continue  # Literal[PERSONAL_FIELDS] and the like: derived
            values = tuple(item.value for item in items)
            if values not in OWN_OPTIONS:
                copies.append(f"{path.parent.name}/{path.name}:{node.lineno} {values}")
    assert not copies, f"derive these with core.schemas.choices_literal: {copies}"


def test_the_rating_state_and_the_appeal_decision_are_parts_of_their_models_values():
    rating = EXPECTED[("tickets", "SatisfactionOut", "state")]
    assert set(STATE_OF.values()) | {"none"} == set(rating)
    assert set(rating) - {"none"} <= set(InviteState.values)
    assert {"upheld", "overturned"} == set(Appeal.State.values) - {Appeal.State.OPEN}


def test_choices_literal_keeps_the_model_order_and_puts_added_values_where_they_stand():
    assert get_args(choices_literal(tickets.Priority)) == ("low", "normal", "high", "urgent")
    assert get_args(choices_literal("", customers.Tier)) == ("", "A", "B", "C", "D")
    assert get_args(choices_literal(complaints.Validity, "")) == ("valid", "partly", "invalid", "")
