"""The layer contract (docs/architecture.md): serving > api > service > coherence > db > domain. A
layer may import the layers below it, never one above; errors and settings import nothing
of ours, and the domain imports only errors."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lazyconfig"
LAYERS = ["domain", "db", "coherence", "service", "api", "serving"]  # lowest first
LEAVES = {"errors", "settings"}  # below every layer
# Standard-library-only modules of the client that the server uses too, so that both sides
# run one implementation (the client imports nothing of the server; the reverse is fine).
SHARED = {"lazyconfig.client.bucketing", "lazyconfig.client.experiment_events"}


def imported_modules(path: Path, package_dir: Path) -> set[str]:
    """The lazyconfig modules `path` imports, as dotted names under the package."""
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            found.update(names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "lazyconfig"}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def allowed(here: str, there: str | None, module: str = "") -> bool:
    if module in SHARED:
        return here not in LEAVES
    if here in LEAVES:
        return False
    if there in LEAVES:
        return not (here == "domain" and there == "settings")
    if here == "api" and there == "auth":
        return True  # roles and token signing live beside the API, without Flask
    return there in LAYERS and LAYERS.index(there) <= LAYERS.index(here)


def violations(package_dir: Path = PACKAGE) -> list[str]:
    found = []
    for path in package_dir.rglob("*.py"):
        here = layer_of(".".join(path.relative_to(package_dir.parent).with_suffix("").parts))
        if here not in LAYERS and here not in LEAVES:
            continue  # app, auth, cli, client, logs: entry points above the layers
        for module in imported_modules(path, package_dir):
            if not allowed(here, layer_of(module), module):
                found.append(f"{path.relative_to(package_dir.parent)} imports {module}")
    return sorted(found)


def test_no_layer_imports_against_the_direction():
    assert violations() == []


def test_the_check_sees_a_violation(tmp_path):
    fake = tmp_path / "lazyconfig"
    (fake / "domain").mkdir(parents=True)
    (fake / "domain" / "bad.py").write_text("from ..service import engine\n")
    (fake / "db").mkdir()
    (fake / "db" / "bad.py").write_text("from lazyconfig.api import context\n")
    assert violations(fake) == ["lazyconfig/db/bad.py imports lazyconfig.api",
                                "lazyconfig/domain/bad.py imports lazyconfig.service"]


def client_dependencies(package_dir: Path = PACKAGE) -> list[str]:
    """What client/ imports beyond itself and the standard library."""
    found = []
    for path in sorted((package_dir / "client").rglob("*.py")):
        tree = ast.parse(path.read_text())
        absolute = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        absolute |= {node.module for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
        outside = {name for name in absolute if name.split(".")[0] not in sys.stdlib_module_names}
        outside |= imported_modules(path, package_dir)
        found += [f"{path.relative_to(package_dir.parent)} imports {name}"
                  for name in sorted(outside) if not name.startswith("lazyconfig.client")]
    return found


def test_the_client_needs_only_the_standard_library():
    # Remote services install lazyconfig for the client alone; it must not pull the server in.
    assert client_dependencies() == []


def test_the_check_sees_a_client_import_of_the_server(tmp_path):
    fake = tmp_path / "lazyconfig" / "client"
    fake.mkdir(parents=True)
    (fake / "ok.py").write_text("import json\nfrom .errors import ApiError\n")
    (fake / "bad.py").write_text("import requests\nfrom ..domain import Change\n")
    assert client_dependencies(tmp_path / "lazyconfig") == [
        "lazyconfig/client/bad.py imports lazyconfig.domain",
        "lazyconfig/client/bad.py imports requests"]
