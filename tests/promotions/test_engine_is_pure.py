"""The promotion engine is plain Python: no Django, nothing of ours outside the engine."""

import ast
import sys
from pathlib import Path

import promotions.engine

ENGINE = Path(promotions.engine.__file__).parent


def imported_modules(source: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


def test_the_engine_imports_only_the_standard_library_and_itself():
    for source in ENGINE.glob("*.py"):
        for module in imported_modules(source):
            top = module.split(".")[0]
            assert module.startswith("promotions.engine") or top in sys.stdlib_module_names, (
                f"{source.name} imports {module}"
            )
