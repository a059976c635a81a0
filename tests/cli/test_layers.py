"""The layers the tree shows are the layers the imports keep (see docs/architecture.md).

Each package of ``src/twoco`` is a layer; a module may import its own layer and the layers listed
for it here, nothing else. The core sees nothing above it; each domain of ``twoco.domains`` sees
the core and the domains before it in ``DOMAINS``; no two packages import each other.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from twoco.domains import DOMAINS

SOURCE = Path(__file__).resolve().parents[2] / "src" / "twoco"
DOMAIN_NAMES = [domain.__name__.rsplit(".", 1)[1] for domain in DOMAINS]
ALLOWED = {
    "core": ("twoco.core",),
    "domains": ("twoco.domains", "twoco.core"),
    "store": ("twoco.store", "twoco.core", "twoco.domains"),
    "protocols": ("twoco.protocols", "twoco.core", "twoco.domains", "twoco.version"),
    "client": ("twoco.client", "twoco.core", "twoco.domains", "twoco.version"),
    "sandbox": ("twoco.sandbox", "twoco.core", "twoco.domains", "twoco.protocols", "twoco.version"),
    "server": (
        "twoco.server",
        "twoco.core",
        "twoco.domains",
        "twoco.protocols",
        "twoco.store",
        "twoco.sandbox",
        "twoco.version",
    ),
    "testing": (
        "twoco.testing",
        "twoco.core",
        "twoco.domains",
        "twoco.protocols",
        "twoco.server",
        "twoco.store",
        "twoco.client",
        "twoco.sandbox",
        "twoco.version",
    ),
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(SOURCE)
    return relative.parts[0] if len(relative.parts) > 1 else "top"


def package_of(name: str) -> str:
    """The package a module belongs to, for the graph of packages: a layer, or a domain of twoco.domains."""
    parts = name.split(".")
    if parts[1:2] == ["domains"] and len(parts) > 2 and parts[2] in DOMAIN_NAMES:
        return f"domains.{parts[2]}"
    return parts[1] if len(parts) > 2 or parts[1] in ALLOWED else "top"


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
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(("twoco", *(parts[:-1] if parts[-1] == "__init__" else parts)))


MODULES = sorted(path for path in SOURCE.rglob("*.py") if layer_of(path) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_a_module_imports_only_the_layers_below_it(path: Path) -> None:
    wrong = [name for name in imported(path) if not allowed(name, ALLOWED[layer_of(path)])]
    assert wrong == [], f"{path.relative_to(SOURCE)} ({layer_of(path)}) imports {wrong}"


DOMAIN_MODULES = sorted(path for path in (SOURCE / "domains").glob("*/*.py"))


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_a_domain_uses_only_the_domains_before_it(path: Path) -> None:
    own = path.relative_to(SOURCE / "domains").parts[0]
    before = DOMAIN_NAMES[: DOMAIN_NAMES.index(own) + 1]
    used = {package_of(name) for name in imported(path) if name.startswith("twoco.domains")}
    wrong = sorted(used - {f"domains.{name}" for name in before})
    assert wrong == [], f"{path.relative_to(SOURCE)} (the {own} domain) imports {wrong}"


def test_every_domain_package_is_in_the_domains_list() -> None:
    packages = sorted(path.parent.name for path in (SOURCE / "domains").glob("*/__init__.py"))
    assert packages == sorted(DOMAIN_NAMES)


def test_no_two_packages_import_each_other() -> None:
    edges = set()
    for path in SOURCE.rglob("*.py"):
        source = package_of(module_name(path)) if path.name != "__init__.py" or layer_of(path) != "top" else "top"
        for name in imported(path):
            target = package_of(name)
            if target != source:
                edges.add((source, target))
    both_ways = sorted((a, b) for a, b in edges if (b, a) in edges and a < b)
    assert both_ways == []


def test_the_graph_of_packages_has_no_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        if layer_of(path) == "top":
            continue  # twoco/__init__.py and the command line sit above everything
        source = package_of(module_name(path))
        for name in imported(path):
            if package_of(name) != source and package_of(name) != "top":
                edges.setdefault(source, set()).add(package_of(name))
    for start, through in itertools.product(edges, repeat=2):
        if through in edges.get(start, set()):
            assert start not in _reachable(edges, through), f"{start} -> {through} -> … -> {start}"


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for following in edges.get(todo.pop(), set()) - seen:
            seen.add(following)
            todo.append(following)
    return seen


def test_every_module_is_in_a_layer() -> None:
    top = sorted(path.name for path in SOURCE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "version.py"]
    assert {
        path.relative_to(SOURCE).parts[0] for path in SOURCE.rglob("*.py") if len(path.relative_to(SOURCE).parts) > 1
    } == set(ALLOWED)
