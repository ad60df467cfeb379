"""tickets owns ticket writes: no module outside tickets.funnel sets a ticket's owned
fields. Other apps change a ticket only by calling the funnel (tickets.funnel)."""

import ast
from pathlib import Path

from huitou.tickets.funnel import OWNED_FIELDS

SRC = Path(__file__).resolve().parents[1] / "src" / "huitou"
FUNNEL = SRC / "tickets" / "funnel.py"
FIELDS = {*OWNED_FIELDS, *(f"{name}_id" for name in OWNED_FIELDS if name != "status")} - {
    "type_id",
    "priority_id",
}
WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}


def _mentions_ticket(node: ast.AST) -> bool:
    return "ticket" in ast.unparse(node).lower()


def owned_field_writes(source: str) -> list[str]:
    """Each place in `source` that assigns a ticket's owned field, as "line: code"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and part.attr in FIELDS
                    and isinstance(part.ctx, ast.Store)
                    and _mentions_ticket(part.value)
                ):
                    found.append(f"{node.lineno}: {ast.unparse(node)}")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        setattr_call = isinstance(func, ast.Name) and func.id == "setattr" and node.args
        if setattr_call and _mentions_ticket(node.args[0]):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        model_call = isinstance(func, ast.Name) and func.id == "Ticket"
        manager_call = (
            isinstance(func, ast.Attribute)
            and func.attr in WRITES
            and "Ticket" in ast.unparse(func.value)
        )
        if model_call or manager_call:
            keywords = {keyword.arg for keyword in node.keywords}
            fields_listed = {
                element.value
                for arg in node.args
                if isinstance(arg, ast.List | ast.Tuple)
                for element in arg.elts
                if isinstance(element, ast.Constant)
            }
            if (keywords | fields_listed) & FIELDS:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_finds_each_kind_of_write():
    code = """
ticket.status = "open"
complaint.ticket.assignee = None
setattr(ticket, field, value)
Ticket.objects.filter(pk=1).update(queue=None)
Ticket(customer=c, department=d)
Ticket.objects.bulk_update(tickets, ["priority"])
complaint.status = "done"
ticket.subject = "ok"
Ticket.objects.filter(pk=1).update(created_at=now)
"""
    assert [line.split(":")[0] for line in owned_field_writes(code)] == [
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
    ]


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).parts
        if "migrations" in parts or "tests" in parts or path == FUNNEL:
            continue
        yield path


def test_only_the_funnel_assigns_a_tickets_owned_fields():
    offenders = {
        str(path.relative_to(SRC)): writes
        for path in _modules()
        if (writes := owned_field_writes(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"set ticket fields only through tickets.funnel: {offenders}"
