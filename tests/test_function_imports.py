"""Imports live at module level (issue 13). The few that must stay inside a function (a cycle, a
heavy optional library loaded lazily, the app registry in AppConfig.ready) say why in a comment
on the line above or at the end of the line, so the next reader does not "fix" them."""

import ast
import io
import tokenize
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "huitou"
SKIPPED_PARTS = {"migrations", "tests", "demo"}


def python_files() -> list[Path]:
    return [
        path
        for path in sorted(SOURCE.rglob("*.py"))
        if not SKIPPED_PARTS & set(path.relative_to(SOURCE).parts)
    ]


def comment_lines(source: str) -> set[int]:
    return {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }


def imports_inside_functions(tree: ast.AST) -> set[ast.Import | ast.ImportFrom]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.update(
                sub for sub in ast.walk(node) if isinstance(sub, ast.Import | ast.ImportFrom)
            )
    return found


def unexplained_imports(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    comments = comment_lines(source)
    lines = source.splitlines()
    unexplained = []
    for node in sorted(imports_inside_functions(ast.parse(source)), key=lambda n: n.lineno):
        # A run of imports under one comment shares it: walk up through the imports above.
        line = node.lineno
        while line - 1 >= 1 and line - 1 not in comments and _is_import(lines[line - 2]):
            line -= 1
        explained = {node.lineno, line - 1} & comments or any(
            number in comments for number in range(node.lineno, (node.end_lineno or 0) + 1)
        )
        if not explained:
            unexplained.append(f"{path.relative_to(SOURCE.parent)}:{node.lineno}")
    return unexplained


def _is_import(line: str) -> bool:
    return line.lstrip().startswith(("import ", "from "))


def test_every_import_inside_a_function_says_why_it_is_not_at_module_level():
    unexplained = [found for path in python_files() for found in unexplained_imports(path)]
    assert not unexplained, (
        "move these imports to the top of the module, or say in a comment why they must stay:\n"
        + "\n".join(unexplained)
    )
