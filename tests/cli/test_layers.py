"""The layers the tree shows are the layers the imports keep (see docs/architecture.md).

Each package of ``src/twoco`` is a layer; a module may import its own layer and the layers listed
for it here, nothing else. The domain (``core``) sees no protocol, sandbox, server or SQL: only the
store's interface and its outage errors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "twoco"
STORE_INTERFACE = ("twoco.store.interface", "twoco.store.outage")
ALLOWED = {
    "core": ("twoco.core", *STORE_INTERFACE),
    "store": ("twoco.store", "twoco.core"),
    "protocols": ("twoco.protocols", "twoco.core", *STORE_INTERFACE),
    "client": ("twoco.client", "twoco.core"),
    "sandbox": ("twoco.sandbox", "twoco.core", "twoco.protocols", "twoco.store"),
    "server": ("twoco.server", "twoco.core", "twoco.protocols", "twoco.store", "twoco.sandbox"),
    "testing": (
        "twoco.testing",
        "twoco.core",
        "twoco.protocols",
        "twoco.server",
        "twoco.store",
        "twoco.client",
        "twoco.sandbox",
    ),
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(SOURCE)
    return relative.parts[0] if len(relative.parts) > 1 else "top"


def imported(path: Path) -> list[str]:
    """Every twoco module the file imports, wherever the import stands (TYPE_CHECKING included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in names if name.startswith("twoco.")]


def allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return name == "twoco.__version__" or any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


MODULES = sorted(path for path in SOURCE.rglob("*.py") if layer_of(path) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_a_module_imports_only_the_layers_below_it(path: Path) -> None:
    wrong = [name for name in imported(path) if not allowed(name, ALLOWED[layer_of(path)])]
    assert wrong == [], f"{path.relative_to(SOURCE)} ({layer_of(path)}) imports {wrong}"


def test_every_module_is_in_a_layer() -> None:
    top = sorted(path.name for path in SOURCE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py"]
    assert {
        path.relative_to(SOURCE).parts[0] for path in SOURCE.rglob("*.py") if len(path.relative_to(SOURCE).parts) > 1
    } == set(ALLOWED)
