"""The rooms hold: boto3 only in the data-access layer, logic reaching storage only through the stores it is given,
and nothing shipped importing the local stack. Read from the source, so a stray import fails here, not in review."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "layers" / "shared" / "customer_bulk"


def _parse(source: str) -> ast.Module:
    # CPython 3.11 before 3.11.8 keeps the AST builder's recursion depth in shared state: an AST built at the same
    # moment in another thread (moto's Step Functions interpreter, run by the session's local stack in threads of its
    # own) can make a correct parse fail with "AST constructor recursion depth mismatch". Parsing again is sound.
    for attempt in range(3):
        try:
            return ast.parse(source)
        except SystemError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(_parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(room: str = "") -> list[Path]:
    return sorted((PACKAGE / room).rglob("*.py"))


def _reaching(paths: list[Path], *prefixes: str) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        hits = sorted(name for name in _imports(path) if name.split(".")[0] in prefixes or name.startswith(prefixes))
        if hits:
            found[str(path.relative_to(PACKAGE))] = hits
    return found


def test_only_the_data_access_layer_imports_boto3() -> None:
    outside = [path for path in _modules() if "dal" not in path.relative_to(PACKAGE).parts]
    assert _reaching(outside, "boto3", "botocore") == {}


def test_logic_receives_its_stores_and_never_imports_dal() -> None:
    assert _reaching(_modules("logic"), "customer_bulk.dal") == {}


@pytest.mark.parametrize("local", ["customer_bulk_local", "moto"])
def test_nothing_shipped_imports_the_local_stack(local: str) -> None:
    assert _reaching(_modules(), local) == {}


def test_the_check_sees_imports() -> None:
    """The walk finds what it looks for: dal does import boto3."""
    assert _reaching(_modules("dal"), "boto3")
