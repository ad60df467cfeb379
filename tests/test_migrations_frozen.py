"""Migrations carry their own data: none imports the application's live modules, so editing
a module (the default phrases, the SLA defaults) never changes what an old migration does."""

import ast
from pathlib import Path

APPS = Path(__file__).resolve().parents[1] / "src" / "huitou"

# (migration, module) pairs that must stay: references Django itself writes into a
# migration and needs to rebuild the historical model, not data.
ALLOWED = {
    # AlterModelManagers: UserManager has use_in_migrations, so Django serialises it by its
    # import path; without it makemigrations writes the operation again.
    (
        "accounts/migrations/0003_user_manager_validates_superuser_password.py",
        "huitou.accounts.models",
    ),
    # FileField(upload_to=attachment_path): Django serialises the callable by its import path
    # (it names where files go, it seeds no data); the function must stay importable.
    (
        "tickets/migrations/0007_message_original_body_attachment.py",
        "huitou.tickets.models",
    ),
}


def live_imports(path: Path) -> set[str]:
    """The huitou modules a migration imports, at the top or inside its functions."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names if alias.name.split(".")[0] == "huitou"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from ..models import X: the live package as well
                modules.add("." * node.level + (node.module or ""))
            elif (node.module or "").split(".")[0] == "huitou":
                modules.add(node.module)
    return modules


def test_no_migration_imports_a_live_huitou_module():
    found = {
        (str(path.relative_to(APPS)), module)
        for path in sorted(APPS.glob("*/migrations/[0-9]*.py"))
        for module in live_imports(path)
    }
    assert not found - ALLOWED, (
        f"copy the data into the migration instead of importing it: {sorted(found - ALLOWED)}"
    )


def test_the_allow_list_names_only_imports_that_still_exist():
    for migration, module in ALLOWED:
        assert module in live_imports(APPS / migration), (migration, module)
