"""The package layout of docs/architecture.md, checked on the source: layered domain packages, no private imports
across packages, no import cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

# Each domain package may import those before it, never those after it.
DOMAIN_LAYERS = ("ledger", "statements", "invoices", "reconciliation", "payments", "banking", "reports", "demo")
# The pure engine and the generic helpers import no domain package.
INDEPENDENT = ("matching",)


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    target: str
    names: tuple[str, ...]
    at_import_time: bool


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _imports() -> Iterator[Import]:
    for path in sorted(APP.rglob("*.py")):
        importer = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
                names = tuple(alias.name for alias in node.names)
                yield Import(importer, node.module, names, id(node) in top_level)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "app":
                        yield Import(importer, alias.name, (), id(node) in top_level)


def _unit(module: str) -> str:
    """A domain package (`app.services.payments`), a generic service module, or a top package (`app.views`)."""
    parts = module.split(".")
    if parts[:2] == ["app", "services"]:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["app", "services"] and len(parts) > 2 and (APP / "services" / parts[2]).is_dir():
        return parts[2]
    return None


def test_no_module_imports_another_packages_private_names() -> None:
    private = [
        f"{imp.importer} imports {imp.target}.{name}"
        for imp in _imports()
        for name in imp.names
        if name.startswith("_")
        and not name.startswith("__")
        and name != "_"
        and _unit(imp.target) != _unit(imp.importer)
    ]
    assert private == []


def test_domain_packages_import_only_the_layers_below_them() -> None:
    upward = []
    for imp in _imports():
        source, target = _package(imp.importer), _package(imp.target)
        if source is None or target is None or source == target:
            continue
        if source in INDEPENDENT:
            upward.append(f"{imp.importer} -> {imp.target}")
        elif (
            source in DOMAIN_LAYERS
            and target in DOMAIN_LAYERS
            and DOMAIN_LAYERS.index(target) > DOMAIN_LAYERS.index(source)
        ):
            upward.append(f"{imp.importer} -> {imp.target}")
    assert upward == []


def test_generic_helpers_and_the_demo_bank_import_no_domain_package() -> None:
    offending = [
        f"{imp.importer} -> {imp.target}"
        for imp in _imports()
        if _package(imp.target) is not None
        and (
            imp.importer.startswith("app.demobank")
            or _package(imp.importer) is None
            and imp.importer.startswith("app.services")
        )
        and _package(imp.target) != _package(imp.importer)
    ]
    assert offending == []


def test_modules_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    modules = {_module_name(path) for path in APP.rglob("*.py")}
    for imp in _imports():
        if not imp.at_import_time:
            continue
        targets = [f"{imp.target}.{name}" for name in imp.names if f"{imp.target}.{name}" in modules] or [imp.target]
        graph.setdefault(imp.importer, set()).update(t for t in targets if t != imp.importer)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
