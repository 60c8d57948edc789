"""The shape the redesign promised (docs/architecture.md): a small facade, small modules and
short functions, so each rule has one obvious home."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lazyconfig"
FACADE_LINES, MODULE_LINES, FUNCTION_LINES = 300, 400, 40


def too_long(package_dir: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # the schema's history is written once and never edited
        text = path.read_text()
        name = path.relative_to(package_dir.parent)
        limit = FACADE_LINES if path.name == "engine.py" else MODULE_LINES
        if len(text.splitlines()) > limit:
            found.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    found.append(f"{name}: {node.name} has {length} lines")
    return found


def test_no_module_or_function_outgrows_its_limit():
    assert too_long() == []


def test_the_check_sees_a_long_function(tmp_path):
    body = "\n".join(f"    x{n} = {n}" for n in range(FUNCTION_LINES))
    (tmp_path / "lazyconfig").mkdir()
    (tmp_path / "lazyconfig" / "engine.py").write_text(f"def long():\n{body}\n")
    assert too_long(tmp_path / "lazyconfig") == [
        f"lazyconfig/engine.py: long has {FUNCTION_LINES + 1} lines"]
