"""Dependencies point inwards: the core imports no platform SDK and no LLM library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "aiohttp",
    "langchain",
    "sqlalchemy",
    "bot",
)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    "path", sorted((ROOT / "conversations").rglob("*.py")), ids=lambda p: p.name
)
def test_the_core_imports_no_platform(path: Path) -> None:
    assert not imports(path) & set(FORBIDDEN_IN_CORE)


def modules(path: Path) -> set[str]:
    """Every module ``path`` imports, in full (``conversations.ports.audit``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "storage").rglob("*.py")), ids=lambda p: p.name)
def test_storage_knows_neither_the_core_nor_the_adapters(path: Path) -> None:
    """Storage implements the core's ports (conversations.ports) and knows
    nothing else of the core."""
    assert not imports(path) & {"bot", "slack_bolt", "botbuilder", "langchain"}
    core = {m for m in modules(path) if m.split(".")[0] == "conversations"}
    assert all(m == "conversations.ports" or m.startswith("conversations.ports.") for m in core)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "conversations" / "ports").rglob("*.py")), ids=lambda p: p.name
)
def test_the_ports_stand_alone(path: Path) -> None:
    """What storage may import of the core imports no more of it, nor storage."""
    for module in modules(path):
        top = module.split(".")[0]
        assert top != "storage"
        assert top != "conversations" or module.startswith("conversations.ports")
