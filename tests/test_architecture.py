"""The house's one-way dependencies, checked on every import in the source (including the
ones inside functions): a package may import only packages below it.

    common  <-  indexer  <-  assistant  <-  chat, evals  <-  training, deploy  <-  cli
    benchmarks sit outside, on top: they may import the product; nothing imports them.
"""

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

LAYER = {"common": 0, "indexer": 1, "assistant": 2, "chat": 3, "evals": 3, "training": 4, "deploy": 4, "cli": 5}
PROJECT = set(LAYER) | {"benchmarks", "tests"}


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every project import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in PROJECT]
    return found


def sources(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(LAYER))
def test_a_package_imports_only_the_layers_below_it(package):
    wrong = [f"{path.relative_to(REPO)}:{line} imports {target}"
             for path in sources(package) for line, target in imports(path)
             if target != package and (target not in LAYER or LAYER[target] >= LAYER[package])]
    assert wrong == []


def test_nothing_imports_the_benchmarks_and_the_tests_import_no_benchmark():
    wrong = [f"{path.relative_to(REPO)}:{line}" for package in [*LAYER, "tests"]
             for path in sources(package) for line, target in imports(path) if target == "benchmarks"]
    assert wrong == []


def test_every_package_is_in_a_layer():
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")}
    assert packages <= PROJECT, packages - PROJECT
