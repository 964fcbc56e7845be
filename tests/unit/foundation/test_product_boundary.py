"""The product (pdc/ and the Ansible plugins) never reaches into the lab or the test helpers: what a
command talks to is declared (wan.pdc.yml, hosts.pdc.yml), never found by importing the lab."""

from __future__ import annotations

import ast
from pathlib import Path

from pdc import paths

PACKAGE = paths.ROOT / "pdc"
# the lab itself, and `pdc lab ...`, the command that drives it
LAB_SIDE = {PACKAGE / "lab", PACKAGE / "cli" / "lab.py"}
FORBIDDEN = ("pdc.lab", "tests", "labkit", "conftest")


def _imports(file: Path) -> list[tuple[int, str]]:
    tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            if node.module == "pdc":  # `from pdc import lab`
                out += [(node.lineno, f"pdc.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append((node.lineno, arg.value))
    return out


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _product_files() -> list[Path]:
    """pdc/ but the lab side, and the Ansible plugins (the inventory is the product's too)."""
    files = sorted(PACKAGE.rglob("*.py")) + sorted((paths.ROOT / "plugins").rglob("*.py"))
    return [f for f in files if not any(f == side or side in f.parents for side in LAB_SIDE)]


def test_no_product_module_imports_the_lab_or_the_tests():
    files = _product_files()
    assert len(files) > 40  # the walk found the package
    offenders = [f"{f.relative_to(paths.ROOT)}:{line}: imports {name}"
                 for f in files for line, name in _imports(f) if _forbidden(name)]
    assert offenders == []


def test_the_check_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import pdc.lab.switches\nfrom pdc import lab\nfrom pdc.lab.state import LabState\n"
                      "from labkit import private\nimport importlib\nimportlib.import_module('pdc.lab.hosts')\n"
                      "from pdc import labcontract\nimport pdc.labcontract\n")
    assert [line for line, name in _imports(sample) if _forbidden(name)] == [1, 2, 3, 4, 6]
