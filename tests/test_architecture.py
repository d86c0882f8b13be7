"""The import direction, proved by reading the source: grocery/ is the kernel and imports no app,
the domain apps import only downward (catalog <- promotions <- checkout), and no project modules
import each other in a cycle. See docs/architecture.md."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("catalog", "checkout", "customers", "promotions", "recommendations", "frontend", "shop")
PACKAGES = ("grocery", *APPS)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against the importing module's package
        package = module.split(".")
        base = package if is_package else package[:-1]
        base = base[: len(base) - (node.level - 1)]
        stem = ".".join([*base, node.module] if node.module else base)
    else:
        stem = node.module or ""
    # `from pkg import name` may import a submodule: count both; unknown names are dropped below.
    return [stem, *(f"{stem}.{alias.name}" for alias in node.names)]


def _walk_imports():
    """{module: (module-level imports, all imports including those inside functions)}."""
    graph = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = _module_name(path)
            tree = ast.parse(path.read_text(), filename=str(path))
            is_package = path.name == "__init__.py"
            top, every = set(), set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    every.update(_imported(node, module, is_package))
            for node in tree.body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    top.update(_imported(node, module, is_package))
                elif isinstance(node, ast.If | ast.Try):  # guarded imports still run at import
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Import | ast.ImportFrom):
                            top.update(_imported(inner, module, is_package))
            graph[module] = (top, every)
    return graph


GRAPH = _walk_imports()


def _project(names: set[str]) -> set[str]:
    return {name for name in names if name in GRAPH}


def _app_imports(package: str) -> dict[str, set[str]]:
    """Every import (function-level too) from modules of `package` into other project packages."""
    found = {}
    for module, (_, every) in GRAPH.items():
        if module.split(".")[0] != package:
            continue
        outside = {name for name in every if name.split(".")[0] in PACKAGES}
        outside = {name for name in outside if name.split(".")[0] != package}
        if outside:
            found[module] = outside
    return found


def _importers_of(package: str, target: str) -> dict[str, set[str]]:
    return {
        module: {name for name in names if name.split(".")[0] == target}
        for module, names in _app_imports(package).items()
        if any(name.split(".")[0] == target for name in names)
    }


def test_the_walk_sees_the_project():
    assert "catalog.models" in GRAPH and "grocery.settings" in GRAPH
    assert "catalog.models" in _project(GRAPH["catalog.selectors"][0])


def test_the_kernel_imports_no_app():
    assert _app_imports("grocery") == {}


def test_catalog_never_imports_checkout():
    assert _importers_of("catalog", "checkout") == {}


def test_promotions_never_imports_checkout():
    assert _importers_of("promotions", "checkout") == {}


def test_no_app_imports_another_apps_api():
    """A view module is nobody's library: shared API pieces live in grocery/schema.py or in the
    owning app's selectors and schema modules."""
    reaching = {
        module: {name for name in names if name.split(".")[1:2] == ["api"]}
        for package in APPS
        for module, names in _app_imports(package).items()
    }
    assert {module: names for module, names in reaching.items() if names} == {}


@pytest.mark.parametrize("package", ["catalog", "promotions", "checkout", "frontend"])
def test_no_domain_app_imports_shop(package):
    """shop reads every app; an app that imported it back (its roles, its admin) would make the
    layers a circle. Permissions, not role names, are what a domain app asks for."""
    assert _importers_of(package, "shop") == {}


def test_customers_imports_checkout_only_where_the_account_meets_the_device_and_its_orders():
    """Sign-in hands the device's cart and receipts over; deleting the account releases them; the
    customer's export reads them; the API documents the receipt it includes. Never the models."""
    assert _importers_of("customers", "checkout") == {
        "customers.services.accounts": {
            "checkout.services.carts",
            "checkout.services.carts.adopt_anonymous_cart",
            "checkout.services.carts.release_customer_records",
        },
        "customers.exports": {"checkout.selectors", "checkout.selectors.customer_records"},
        "customers.api": {"checkout.schema", "checkout.schema.ReceiptOutput"},
    }


@pytest.mark.parametrize("package", ["catalog", "promotions", "checkout", "customers"])
def test_no_domain_app_imports_recommendations(package):
    """Recommendations read the orders, the catalogue and the promotions; nothing they read
    depends on them, so the checkout and the product lookup work with the app switched off."""
    assert _importers_of(package, "recommendations") == {}


def test_catalog_never_imports_promotions():
    assert _importers_of("catalog", "promotions") == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    edges = {
        module: sorted({t for t in targets if t in graph} - {module})
        for module, targets in graph.items()
    }
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_project_modules():
    assert _cycles({module: top for module, (top, _) in GRAPH.items()}) == []


def test_no_cycle_hidden_behind_a_local_import():
    """A function-level import that closes a cycle only moves the problem to run time."""
    assert _cycles({module: every for module, (_, every) in GRAPH.items()}) == []


@pytest.mark.parametrize(
    "graph, cycle",
    [({"a": {"b"}, "b": {"a"}}, True), ({"a": {"b"}, "b": set()}, False)],
)
def test_the_cycle_finder_finds_cycles(graph, cycle):
    assert bool(_cycles(graph)) is cycle
