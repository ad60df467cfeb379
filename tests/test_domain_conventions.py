"""One rule in one place (issue 13): the department scope is read only by accounts.scope, and
roles are named by accounts.roles.Role, never by a string that a rename would miss."""

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "huitou"
ROLE_NAMES = {"agent", "supervisor", "manager", "qa", "handler", "admin"}
# Where a role or the scope permission is defined, not used; and the demo data, which may
# spell roles out as a fixture does.
DEFINED_HERE = {Path("accounts/scope.py"), Path("accounts/roles.py")}


def domain_sources():
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        parts = relative.parts
        if "migrations" in parts or "tests" in parts or parts[0] == "demo":
            continue
        if relative in DEFINED_HERE or (parts[0] == "core" and parts[-1].startswith("demo")):
            continue
        yield relative, path.read_text(encoding="utf-8")


def test_only_accounts_scope_reads_the_see_all_departments_permission():
    readers = [
        f"{relative}:{number}"
        for relative, text in domain_sources()
        for number, line in enumerate(text.splitlines(), start=1)
        if "tickets.view_all_tickets" in line
    ]
    assert readers == [], "use huitou.accounts.scope instead: " + ", ".join(readers)


def _role_strings(node) -> list[ast.Constant]:
    """The role names spelled as strings in `node`: a constant, or a list, tuple or set of them."""
    items = node.elts if isinstance(node, ast.List | ast.Tuple | ast.Set) else [node]
    return [
        item
        for item in items
        if isinstance(item, ast.Constant) and isinstance(item.value, str)
        if item.value in ROLE_NAMES
    ]


def _is_role(node) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "role"


def role_literals(tree: ast.AST) -> list[ast.Constant]:
    """`x.role == "handler"`, `role in {"agent", ...}`, `role="agent"`,
    `groups__name="supervisor"`, `groups__name__in=[...]`, `ASSIGNABLE_ROLES = {"agent", ...}`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            _is_role(side) for side in [node.left, *node.comparators]
        ):
            for side in [node.left, *node.comparators]:
                found += _role_strings(side)
        elif isinstance(node, ast.keyword) and node.arg in {
            "role",
            "groups__name",
            "groups__name__in",
        }:
            found += _role_strings(node.value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(target, "id", "").endswith("ROLES") for target in targets):
                found += _role_strings(node.value) if node.value is not None else []
    return found


def test_domain_code_names_roles_by_the_role_constants():
    literals = [
        f"{relative}:{constant.lineno} {constant.value!r}"
        for relative, text in domain_sources()
        for constant in role_literals(ast.parse(text))
    ]
    assert literals == [], "use huitou.accounts.roles.Role instead: " + ", ".join(literals)


def test_the_role_check_catches_the_usual_spellings():
    code = """
user.role == "handler"
"admin" != actor.role
assignee.role in {"agent", "handler"}
User.objects.filter(groups__name="supervisor")
User.objects.filter(groups__name__in=["supervisor", "manager"])
do_user_create(role="qa")
ASSIGNABLE_ROLES = {"agent", Role.ADMIN}
"""
    found = sorted(constant.value for constant in role_literals(ast.parse(code)))
    expected = ["handler", "admin", "agent", "handler", "supervisor", "supervisor", "manager"]
    assert found == sorted([*expected, "qa", "agent"])
    # A role constant, and the same words meaning something else, are fine.
    fine = 'user.role == Role.HANDLER\nGROUPS = ("agent", "team")\nqs.values("agent")\n'
    assert role_literals(ast.parse(fine)) == []


TICKET_STATUSES = {"new", "open", "pending", "resolved", "closed"}


def status_groups(tree: ast.AST) -> list[ast.AST]:
    """Lists, tuples and sets of two or more ticket statuses spelled as strings, such as
    `exclude(status__in=["resolved", "closed"])`: tickets.models has OPEN_STATUSES and
    DONE_STATUSES for those."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.List | ast.Tuple | ast.Set)
        and len(node.elts) >= 2
        and all(
            isinstance(item, ast.Constant) and item.value in TICKET_STATUSES for item in node.elts
        )
    ]


def test_domain_code_names_status_groups_by_the_shared_constants():
    groups = [
        f"{relative}:{node.lineno}"
        for relative, text in domain_sources()
        for node in status_groups(ast.parse(text))
    ]
    assert groups == [], "use tickets.models OPEN_STATUSES / DONE_STATUSES: " + ", ".join(groups)
